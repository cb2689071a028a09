// Socket wiring: opens one Baileys socket for a session, routes its callbacks into the store and the status
// machine, watches it for deafness, and decides what happens when it closes.
//
// Every callback carries the generation it was opened under; once the supervisor replaced or ended that socket
// (`live.generation` moved on), its late events no longer drive the status.
import type { Account, Closed, SocketHandlers } from '../whatsapp/socket.ts'
import { openSocket } from '../whatsapp/socket.ts'
import { decide, opened } from './backoff.ts'
import type { Context } from './context.ts'
import { locked, settle, type Live } from './live.ts'
import { startWatchdog } from './watchdog.ts'

const FIRST_QR_MS = 60_000
const NEXT_QR_MS = 20_000

/**
 * Opens a new socket for the session, its creds read first. Call under the lock. Ended meanwhile (`drop`: the
 * generation moved on), it opens nothing.
 */
export async function connect(ctx: Context, sessionId: string, live: Live, status: 'starting' | 'reconnecting') {
  const o = ctx.options
  const gen = ++live.generation
  live.qrCount = 0
  live.pairing = false
  void ctx.setStatus(sessionId, { status, ...(status === 'starting' ? { lastError: null } : {}) })
  const isCurrent = () => live.generation === gen
  const auth = await live.auth.forSocket(isCurrent)
  if (!isCurrent()) return
  live.sock = openSocket({
    auth,
    isCurrent,
    logger: o.logger.child({ sessionId, module: 'baileys' }, { level: o.baileysLogLevel ?? 'warn' }),
    waUrl: o.waUrl,
    retryCache: live.retryCache,
    keepAliveIntervalMs: o.keepAliveIntervalMs,
    connectTimeoutMs: o.connectTimeoutMs,
    mediaFile: (sha256) => o.sending?.media?.path(sha256) ?? '',
    linkPreviews: o.sending?.linkPreviews ?? null,
    handlers: handlers(ctx, sessionId, live, gen),
  })
}

/**
 * Ends the current socket (if any) so its late events no longer drive the status. Call under the lock.
 * Creds of a pairing that never finished are wiped: `requestPairingCode` already wrote `me`, and Baileys
 * would try to log in with them next time (research/baileys.md §2.7).
 */
export async function detach(ctx: Context, live: Live, logout = false) {
  const gen = ++live.generation
  settle(live)
  if (live.timer) clearTimeout(live.timer)
  live.timer = null
  const sock = live.sock
  live.sock = null
  live.connected = false
  live.qr = null
  live.watchdog?.stop()
  if (!sock) return
  try {
    await (logout ? sock.logout() : sock.end())
  } catch (e) {
    ctx.log.warn({ err: String(e) }, logout ? 'logout failed; wiping locally' : 'socket end failed')
  }
  // Nothing else opens a socket meanwhile (the caller holds the lock), but a lease lost (`drop`) ends it all.
  try {
    if (!(await live.auth.isLinked()) && live.generation === gen) await live.auth.wipe()
  } catch (e) {
    ctx.log.warn({ err: String(e) }, 'could not wipe the creds of an unfinished pairing')
  }
}

function handlers(ctx: Context, sessionId: string, live: Live, gen: number): SocketHandlers {
  const { ingest, log, clock } = ctx
  return {
    batch(b) {
      const failed = (e: unknown) => log.error({ sessionId, err: String(e) }, 'ingest failed')
      try {
        const stored = ingest.batch(sessionId, b)
        if (stored instanceof Promise) stored.catch(failed)
      } catch (e) {
        failed(e)
      }
    },
    // Throws on failure on purpose: Baileys then NACKs instead of receipting a message we did not store.
    received: (b, keys) => ingest.received(sessionId, b, keys),
    receivedInOrder: ingest.receivedInOrder,
    storedText: (waId, fromMe) => ingest.storedText(sessionId, waId, fromMe),
    cachedGroup: (jid) => ingest.cachedGroup(sessionId, jid),
    frame: () => void (live.lastFrameAt = clock()),
    qr: (qr) => onQr(ctx, sessionId, live, gen, qr),
    open: (a) => onOpen(ctx, sessionId, live, gen, a),
    close: (c) => void onClose(ctx, sessionId, live, gen, c),
  }
}

function onQr(ctx: Context, sessionId: string, live: Live, gen: number, qr: string) {
  if (live.generation !== gen) return
  settle(live)
  const expiresAt = ctx.clock() + (live.qrCount++ === 0 ? FIRST_QR_MS : NEXT_QR_MS)
  live.qr = { qr, expiresAt }
  if (!live.pairing) void ctx.setStatus(sessionId, { status: 'qr' })
  const failed = (e: unknown) => ctx.log.warn({ sessionId, err: String(e) }, 'could not record QR')
  try {
    const stored = ctx.ingest.qr(sessionId, qr, expiresAt)
    if (stored instanceof Promise) stored.catch(failed)
  } catch (e) {
    failed(e)
  }
}

function onOpen(ctx: Context, sessionId: string, live: Live, gen: number, a: Account) {
  if (live.generation !== gen) return
  live.connected = true
  live.qr = null
  live.backoff = opened(live.backoff)
  watch(ctx, sessionId, live, gen)
  void ctx.setStatus(sessionId, {
    status: 'connected',
    lastError: null,
    phone: a.phone,
    jid: a.jid,
    lid: a.lid,
    pushName: a.pushName,
    connectedAt: ctx.clock(),
  })
  ctx.sending.connected(sessionId)
  ctx.downloads?.wake(sessionId)
  settle(live)
}

/** Starts the deaf-connection watchdog for an open socket: silence → `degraded` and a reconnect. */
function watch(ctx: Context, sessionId: string, live: Live, gen: number) {
  const deafAfterMs = ctx.options.deafAfterMs ?? 75_000
  if (!deafAfterMs) return
  live.watchdog?.stop()
  live.lastFrameAt = ctx.clock()
  live.watchdog = startWatchdog({
    lastFrameAt: () => live.lastFrameAt,
    deafAfterMs,
    clock: ctx.clock,
    onDeaf(silentMs) {
      if (live.generation !== gen || !live.sock) return
      ctx.log.warn({ sessionId, silentMs }, 'connection is deaf; reconnecting')
      void ctx.setStatus(sessionId, {
        status: 'degraded',
        lastError: `no data from WhatsApp for ${Math.round(silentMs / 1000)} s`,
      })
      live.sock.kill('connection deaf (watchdog)')
    },
  })
}

/** An unintended close: stop for good (logged out, banned, …) or schedule a reconnect, per the backoff policy. */
async function onClose(ctx: Context, sessionId: string, live: Live, gen: number, c: Closed) {
  if (live.generation !== gen || c.intentional) return
  settle(live)
  live.watchdog?.stop()
  live.sock = null
  live.connected = false
  live.qr = null
  ctx.sending.disconnected(sessionId)
  ctx.downloads?.pause(sessionId)
  let linked: boolean
  try {
    linked = await live.auth.isLinked()
  } catch (e) {
    // The creds could not be read (database unreachable): retry like any transient close, wiping nothing.
    ctx.log.warn({ sessionId, err: String(e) }, 'could not read the creds after a close')
    linked = true
  }
  // Started, stopped or dropped while the creds were read: that decided already.
  if (live.generation !== gen || live.sock || live.timer) return
  const { decision, state } = decide({ ...c, linked }, live.backoff, ctx.clock(), ctx.policy, ctx.options.random)
  live.backoff = state
  // The raw close text stays here, in the log; the session's lastError only says what the code means.
  ctx.log.info({ sessionId, code: c.code, message: c.message, decision }, 'socket closed')
  if (decision.action === 'stop') {
    live.generation++
    if (decision.wipeCreds)
      await live.auth
        .wipe()
        .catch((e: unknown) => ctx.log.warn({ sessionId, err: String(e) }, 'could not wipe the creds'))
    const desired = decision.status === 'logged_out' ? { desiredState: 'stopped' } : {}
    await ctx.setStatus(sessionId, { status: decision.status, lastError: decision.reason, ...desired })
    return
  }
  if (decision.status === 'reconnecting') {
    void ctx.setStatus(sessionId, { status: 'reconnecting', lastError: decision.reason })
  }
  live.timer = setTimeout(() => {
    live.timer = null
    void locked(live, async () => {
      if (live.generation !== gen || live.sock) return // stopped or restarted meanwhile
      await connect(ctx, sessionId, live, decision.status)
    })
  }, decision.delayMs)
}
