// The session supervisor: one live Baileys socket per session, its status machine and reconnect policy.
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Db } from '../store/db.ts'
import type { EventStore } from '../store/events.ts'
import { createAuthStateSql } from '../store/auth-state-sql.ts'
import { createSessionAuth } from '../whatsapp/auth-state.ts'
import { quietSignalLogs } from '../whatsapp/quiet.ts'
import { createSealer } from '../whatsapp/sealed.ts'
import { openSocket, type Account, type Closed, type WaSocket } from '../whatsapp/socket.ts'
import { installStrictVerify, trustRoot } from '../whatsapp/trust.ts'
import { decide, defaultBackoff, freshBackoff, opened, type BackoffOptions } from './backoff.ts'
import type { SessionEngine } from './engine.ts'
import { createIngest, type SessionPatch } from './ingest.ts'
import { locked, newLive, type Live } from './live.ts'
import { createContactOperations } from './contact-operations.ts'
import { createGroupOperations } from './group-operations.ts'
import { createOperations } from './operations.ts'
import { startWatchdog } from './watchdog.ts'

export type SupervisorOptions = {
  db: Db
  events: EventStore
  logger: Logger
  /** 32-byte key sealing auth state at rest (see whatsapp/secret-key.ts). */
  secretKey: Buffer
  /** WhatsApp's WebSocket URL; Baileys' default (the real WhatsApp) when undefined. */
  waUrl?: string | undefined
  /** The one root key to trust (32 bytes); WhatsApp's own when undefined. Signatures are checked strictly either way. */
  rootKey?: Buffer | undefined
  backoff?: Partial<BackoffOptions>
  /** Delay between sessions restored at boot. */
  restoreStaggerMs?: number
  keepAliveIntervalMs?: number
  /** No frame for this long while connected → `degraded` and a reconnect (default 75 s; 0 disables). */
  deafAfterMs?: number
  connectTimeoutMs?: number
  /** Level for Baileys' own logs (quiet by default). */
  baileysLogLevel?: string
  clock?: () => number
  random?: () => number
}

export type Supervisor = SessionEngine & {
  /** The in-memory view of a session, for health checks and tests. */
  live(sessionId: string): { connected: boolean; generation: number } | null
}

const FIRST_QR_MS = 60_000
const NEXT_QR_MS = 20_000

export function createSupervisor(o: SupervisorOptions): Supervisor {
  const log = o.logger.child({ module: 'supervisor' })
  const clock = o.clock ?? Date.now
  const policy = { ...defaultBackoff, ...o.backoff }
  const ingest = createIngest({ db: o.db, events: o.events, clock })
  const authSql = createAuthStateSql(o.db)
  const sealer = createSealer(o.secretKey)
  const lives = new Map<string, Live>()
  quietSignalLogs(o.logger)
  installStrictVerify()
  const untrust = o.rootKey ? trustRoot(o.rootKey) : null

  function liveOf(sessionId: string): Live {
    let live = lives.get(sessionId)
    if (!live) {
      if (!ingest.sessionRow(sessionId)) throw new AppError('not_found', 'session not found')
      const auth = createSessionAuth({ sessionId, sql: authSql, sealer, logger: log.child({ sessionId }) })
      live = newLive(auth)
      lives.set(sessionId, live)
    }
    return live
  }

  function setStatus(sessionId: string, patch: SessionPatch) {
    try {
      return ingest.session(sessionId, patch)
    } catch (e) {
      log.warn({ sessionId, err: String(e) }, 'could not record session status') // deleted meanwhile
      return null
    }
  }

  /**
   * Ends the current socket (if any) so its late events no longer drive the status. Call under the lock.
   * Creds of a pairing that never finished are wiped: `requestPairingCode` already wrote `me`, and Baileys
   * would try to log in with them next time (research/baileys.md §2.7).
   */
  async function detach(live: Live, logout = false) {
    live.generation++
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
      log.warn({ err: String(e) }, logout ? 'logout failed; wiping locally' : 'socket end failed')
    }
    if (!live.auth.isLinked()) live.auth.wipe()
  }

  /** Opens a new socket for the session. Call under the lock. */
  function connect(sessionId: string, live: Live, status: 'starting' | 'reconnecting') {
    const gen = ++live.generation
    live.qrCount = 0
    live.pairing = false
    setStatus(sessionId, { status, ...(status === 'starting' ? { lastError: null } : {}) })
    const isCurrent = () => live.generation === gen
    live.sock = openSocket({
      auth: live.auth,
      isCurrent,
      logger: o.logger.child({ sessionId, module: 'baileys' }, { level: o.baileysLogLevel ?? 'warn' }),
      waUrl: o.waUrl,
      retryCache: live.retryCache,
      keepAliveIntervalMs: o.keepAliveIntervalMs,
      connectTimeoutMs: o.connectTimeoutMs,
      handlers: {
        batch(b) {
          try {
            ingest.batch(sessionId, b)
          } catch (e) {
            log.error({ sessionId, err: String(e) }, 'ingest failed')
          }
        },
        // Throws on failure on purpose: Baileys then NACKs instead of receipting a message we did not store.
        received: (b) => ingest.batch(sessionId, b),
        storedText: (waId, fromMe) => ingest.storedText(sessionId, waId, fromMe),
        cachedGroup: (jid) => ingest.cachedGroup(sessionId, jid),
        frame: () => void (live.lastFrameAt = clock()),
        qr(qr) {
          if (!isCurrent()) return
          const expiresAt = clock() + (live.qrCount++ === 0 ? FIRST_QR_MS : NEXT_QR_MS)
          live.qr = { qr, expiresAt }
          if (!live.pairing) setStatus(sessionId, { status: 'qr' })
          try {
            ingest.qr(sessionId, qr, expiresAt)
          } catch (e) {
            log.warn({ sessionId, err: String(e) }, 'could not record QR')
          }
        },
        open(a: Account) {
          if (!isCurrent()) return
          live.connected = true
          live.qr = null
          live.backoff = opened(live.backoff)
          watch(sessionId, live, gen)
          setStatus(sessionId, {
            status: 'connected',
            lastError: null,
            phone: a.phone,
            jid: a.jid,
            lid: a.lid,
            pushName: a.pushName,
            connectedAt: clock(),
          })
        },
        close: (c) => onClose(sessionId, live, gen, c),
      },
    })
  }

  function watch(sessionId: string, live: Live, gen: number) {
    const deafAfterMs = o.deafAfterMs ?? 75_000
    if (!deafAfterMs) return
    live.watchdog?.stop()
    live.lastFrameAt = clock()
    live.watchdog = startWatchdog({
      lastFrameAt: () => live.lastFrameAt,
      deafAfterMs,
      clock,
      onDeaf(silentMs) {
        if (live.generation !== gen || !live.sock) return
        log.warn({ sessionId, silentMs }, 'connection is deaf; reconnecting')
        setStatus(sessionId, {
          status: 'degraded',
          lastError: `no data from WhatsApp for ${Math.round(silentMs / 1000)} s`,
        })
        live.sock.kill('connection deaf (watchdog)')
      },
    })
  }

  function onClose(sessionId: string, live: Live, gen: number, c: Closed) {
    if (live.generation !== gen || c.intentional) return
    live.watchdog?.stop()
    live.sock = null
    live.connected = false
    live.qr = null
    const linked = live.auth.isLinked()
    const { decision, state } = decide({ ...c, linked }, live.backoff, clock(), policy, o.random)
    live.backoff = state
    log.info({ sessionId, code: c.code, decision }, 'socket closed')
    if (decision.action === 'stop') {
      live.generation++
      if (decision.wipeCreds) live.auth.wipe()
      const desired = decision.status === 'logged_out' ? { desiredState: 'stopped' } : {}
      setStatus(sessionId, { status: decision.status, lastError: decision.reason, ...desired })
      return
    }
    if (decision.status === 'reconnecting') setStatus(sessionId, { status: 'reconnecting', lastError: decision.reason })
    live.timer = setTimeout(() => {
      live.timer = null
      void locked(live, async () => {
        if (live.generation !== gen || live.sock) return // stopped or restarted meanwhile
        connect(sessionId, live, decision.status)
      })
    }, decision.delayMs)
  }

  function connectedSock(sessionId: string): WaSocket {
    const live = lives.get(sessionId)
    if (!live?.sock || !live.connected) throw new AppError('session_not_connected', 'session is not connected')
    return live.sock
  }

  const engine: Supervisor = {
    start(sessionId) {
      const live = liveOf(sessionId)
      return locked(live, async () => {
        setStatus(sessionId, { desiredState: 'running' })
        if (live.sock || live.timer) return
        live.backoff = freshBackoff()
        connect(sessionId, live, 'starting')
      })
    },
    stop(sessionId) {
      const live = liveOf(sessionId)
      return locked(live, async () => {
        await detach(live)
        setStatus(sessionId, { desiredState: 'stopped', status: 'stopped', lastError: null })
      })
    },
    restart(sessionId) {
      const live = liveOf(sessionId)
      return locked(live, async () => {
        await detach(live)
        live.backoff = freshBackoff()
        setStatus(sessionId, { desiredState: 'running' })
        connect(sessionId, live, 'starting')
      })
    },
    logout(sessionId) {
      const live = liveOf(sessionId)
      return locked(live, async () => {
        await detach(live, live.connected)
        live.auth.wipe()
        setStatus(sessionId, { desiredState: 'stopped', status: 'logged_out', lastError: null })
      })
    },
    async remove(sessionId) {
      const live = lives.get(sessionId)
      if (!live) return
      await locked(live, () => detach(live))
      live.auth.close()
      lives.delete(sessionId)
    },
    qr(sessionId) {
      const qr = lives.get(sessionId)?.qr
      return qr && qr.expiresAt > clock() ? { ...qr } : null
    },
    async requestPairingCode(sessionId, phone) {
      const live = liveOf(sessionId)
      if (live.connected || live.auth.isLinked()) throw new AppError('conflict', 'session is already linked')
      if (!live.sock) await engine.start(sessionId)
      await waitFor(() => !!live.qr, 20_000, 'the session did not reach the pairing step')
      const sock = live.sock
      if (!sock) throw new AppError('conflict', 'session is not waiting for a pairing')
      live.pairing = true
      const code = await sock.requestPairingCode(phone).catch((e: Error) => {
        throw new AppError('upstream_error', `pairing code request failed: ${e.message}`)
      })
      setStatus(sessionId, { status: 'pairing' })
      return { code }
    },
    ...createOperations({ ingest, connectedSock, clock }),
    ...createGroupOperations({ ingest, connectedSock }),
    ...createContactOperations({ ingest, connectedSock, clock }),
    async restore() {
      const ids = ingest.runningSessions()
      for (const [i, id] of ids.entries()) {
        if (i > 0) await Bun.sleep(o.restoreStaggerMs ?? 250)
        await engine.start(id).catch((e) => log.error({ sessionId: id, err: String(e) }, 'restore failed'))
      }
    },
    async shutdown() {
      await Promise.all(
        [...lives.entries()].map(([id, live]) =>
          locked(live, async () => {
            await detach(live)
            // desiredState stays `running`, so the next boot restores the session.
            setStatus(id, { status: 'stopped' })
          }),
        ),
      )
      for (const live of lives.values()) live.auth.close()
      lives.clear()
      untrust?.()
    },
    live(sessionId) {
      const l = lives.get(sessionId)
      return l ? { connected: l.connected, generation: l.generation } : null
    },
  }
  return engine
}

async function waitFor(cond: () => boolean, timeoutMs: number, message: string) {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new AppError('conflict', message)
    await Bun.sleep(50)
  }
}
