// The socket factory: one Baileys connection for one session, exposed without Baileys types.
import makeWASocket, {
  Browsers,
  cleanMessage,
  DEFAULT_CONNECTION_CONFIG,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  type CacheStore,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAProto,
} from '@whiskeysockets/baileys'
import type { Logger } from '../log.ts'
import type { KeyWrites } from '../store/auth-state-sql.ts'
import type { SocketAuth } from './auth-state.ts'
import { receivedBatch, toBatch } from './batch.ts'
import { createMessageTurns } from './message-turns.ts'
import { createEchoes } from './echoes.ts'
import * as cmd from './commands.ts'
import { toGroupMetadata } from './group-records.ts'
import { downloadMedia, requestReupload, type MediaJob } from './media.ts'
import type { Me } from './normalize.ts'
import { emptyBatch, type Batch } from './records.ts'
import { sendQueued } from './outbound.ts'
import type { LinkPreviewer, OutboundContent } from '../domain/outbound.ts'
import { AppError } from '../errors.ts'
import { socketOps, type FullGroup } from './socket-ops.ts'

export type Closed = { code: number | undefined; message: string; intentional: boolean }
export type Account = { jid: string; lid: string | null; phone: string; pushName: string | null }

/**
 * Callbacks from one socket. `batch` must not wait: it stores (SQLite) or queues the store in order (PostgreSQL)
 * before Baileys moves on.
 */
export type SocketHandlers = {
  batch(b: Batch): void
  /**
   * One decrypted message, before its receipt (or ack) leaves. Must have committed when it returns, with `keys`
   * (the Signal key writes of its decrypt) in the same transaction, setting `keys.stored`; a throw makes Baileys
   * NACK the message so WhatsApp sends it again.
   */
  received(b: Batch, keys: KeyWrites | null): void | Promise<void>
  /**
   * `received` queues the write before it returns and commits the socket's writes in that order (SQLite's group
   * commit): the hook then lets the next message decrypt while this one's commit is pending (message-turns.ts).
   */
  receivedInOrder?: boolean
  qr(qr: string): void
  open(account: Account): void
  close(c: Closed): void
  /** Any frame arrived (keepalive answers included): the connection is not deaf. */
  frame(): void
  /** The stored text of one of our messages, so Baileys can re-encrypt it for a retry receipt. */
  storedText(waId: string, fromMe: boolean): string | null | Promise<string | null>
  /** A group's stored metadata with its members, or null when they are not known yet. */
  cachedGroup(jid: string): FullGroup | null | Promise<FullGroup | null>
}

export type SocketOptions = {
  /** The socket's view of the session's auth state (`SessionAuth.forSocket`, creds already read). */
  auth: SocketAuth
  /** False once the supervisor replaced or ended this socket: its key and creds writes are dropped. */
  isCurrent(): boolean
  handlers: SocketHandlers
  logger: Logger
  /** WhatsApp's WebSocket URL (WAGATE_WA_URL); Baileys' default when undefined. */
  waUrl?: string | undefined
  /** Kept by the supervisor across reconnects so retry counts survive (research/baileys.md §5.3). */
  retryCache: CacheStore
  keepAliveIntervalMs?: number | undefined
  connectTimeoutMs?: number | undefined
  /** The path of a stored media file by its SHA-256, for media sends. */
  mediaFile?: ((sha256: string) => string) | undefined
  /** Link previews for texts that ask for one (none when absent). */
  linkPreviews?: LinkPreviewer | null | undefined
}

const noMedia = (): string => {
  throw new AppError('validation_error', 'this gateway has no media store')
}

export type WaSocket = ReturnType<typeof openSocket>
export type RetryCache = CacheStore

/** Per-session message-retry counters, kept outside the socket so they survive reconnects. */
export function createRetryCache(max = 2000): RetryCache {
  const m = new Map<string, unknown>()
  return {
    get: <T>(k: string) => m.get(k) as T | undefined,
    set: (k, v) => {
      if (m.size >= max) m.delete(m.keys().next().value as string)
      m.set(k, v)
    },
    del: (k) => m.delete(k),
    flushAll: () => m.clear(),
  }
}

const meOf = (m: { id?: string; lid?: string } | undefined): Me => ({
  jid: m?.id ? jidNormalizedUser(m.id) : null,
  lid: m?.lid ? jidNormalizedUser(m.lid) : null,
})

/**
 * The option scripts/patch-baileys.mjs adds to Baileys (issue 6 §1): awaited for every successfully decrypted
 * message before its delivery receipt or ack is sent, with the raw (not yet cleaned) message.
 */
type BeforeReceipt = { beforeReceipt(msg: WAMessage, type: 'notify' | 'append'): Promise<void> }

/**
 * `msg` as Baileys' later `messages.upsert` carries it: `cleanMessage` normalises the key and flips reaction and
 * poll-vote keys inside `message` in place, and Baileys cleans the original again after the hook, so clean a copy
 * (its key copied, its content deep-copied only when cleaning mutates it).
 */
function cleaned(msg: WAMessage, me: { id?: string; lid?: string } | undefined): WAMessage {
  const content = normalizeMessageContent(msg.message)
  const mutates = !!(content?.reactionMessage || content?.pollUpdateMessage)
  const message = mutates ? proto.Message.decode(proto.Message.encode(msg.message!).finish()) : msg.message
  const copy: WAMessage = { ...msg, key: { ...msg.key }, message }
  cleanMessage(copy, me?.id ?? '', me?.lid ?? '')
  return copy
}

/** Baileys' signal repository with every decrypt run in `auth.decrypting`, so its key writes wait for the hook. */
function holdingDecryptWrites(auth: SocketAuth): UserFacingSocketConfig['makeSignalRepository'] {
  return (...args) => {
    const repo = DEFAULT_CONNECTION_CONFIG.makeSignalRepository(...args)
    const { decryptMessage, decryptGroupMessage, processSenderKeyDistributionMessage } = repo
    repo.decryptMessage = (a) => auth.decrypting(() => decryptMessage.call(repo, a))
    repo.decryptGroupMessage = (a) => auth.decrypting(() => decryptGroupMessage.call(repo, a))
    repo.processSenderKeyDistributionMessage = (a) =>
      auth.decrypting(() => processSenderKeyDistributionMessage.call(repo, a))
    return repo
  }
}

export function openSocket(o: SocketOptions) {
  const auth = o.auth
  const { state, saveCreds } = auth
  // What the receipt hook stored: Baileys' later events for the same message are then skipped (echoes.ts).
  const echoes = createEchoes()
  const turns = o.handlers.receivedInOrder ? createMessageTurns() : null
  const hook: BeforeReceipt = {
    // Store before the receipt: a process killed after the receipt but before the buffered `messages.upsert`
    // was stored would lose a message WhatsApp will not send again. The later upsert of the same message is
    // then a no-op (ingest is idempotent).
    async beforeReceipt(msg, type) {
      if (!o.isCurrent()) {
        // A replaced socket must not write (like its key writes), nor receipt what it did not store. Held until
        // the supervisor's end() has closed the connection, the throw cannot even become a NACK (which a server
        // may treat as final), so the message stays queued for the current connection.
        await closed
        throw new Error('socket replaced; message left for redelivery')
      }
      const m = cleaned(msg, state.creds.me)
      const { batch, sender } = echoes.withSender(receivedBatch(m, type, meOf(state.creds.me)), m)
      // The decrypt's key writes go into the message's transaction: one commit, both or neither.
      // Synchronous on SQLite (an await would cost a turn per message); PostgreSQL answers promises.
      const taken = auth.messageKeys()
      const keys = taken instanceof Promise ? await taken : taken
      try {
        const stored = o.handlers.received(batch, keys)
        turns?.handOver()
        await stored
      } catch (e) {
        if (keys) await auth.settle(keys, false)
        throw e
      }
      const settled = keys && auth.settle(keys, true)
      if (settled) await settled
      echoes.stored(msg, batch, sender)
    },
  }
  const sock = makeWASocket({
    ...hook,
    auth: state,
    makeSignalRepository: holdingDecryptWrites(auth),
    ...(turns ? { messageTurns: turns.wrap } : {}),
    logger: o.logger,
    ...(o.waUrl ? { waWebSocketUrl: o.waUrl } : {}),
    browser: Browsers.macOS('Desktop'),
    // Otherwise the phone stops receiving push notifications (research/baileys.md §6.5).
    markOnlineOnConnect: false,
    msgRetryCounterCache: o.retryCache,
    ...(o.keepAliveIntervalMs ? { keepAliveIntervalMs: o.keepAliveIntervalMs } : {}),
    ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
    // Group sends take the members from the stored copy; WhatsApp rate-limits metadata queries (§5.4). A group
    // not stored yet is fetched once and stored, so only the first send to it asks WhatsApp.
    cachedGroupMetadata: async (jid: string) => {
      const stored = await o.handlers.cachedGroup(jid)
      if (stored) return toGroupMetadata(stored)
      const fetched = await ops.groupMetadata(jid).catch(() => null)
      if (!fetched) return undefined
      o.handlers.batch({ ...emptyBatch(), groups: [fetched] })
      return toGroupMetadata(fetched)
    },
    getMessage: async (key): Promise<WAProto.IMessage | undefined> => {
      const text = key.id ? await o.handlers.storedText(key.id, !!key.fromMe) : null
      return text === null ? undefined : { conversation: text }
    },
  } as UserFacingSocketConfig)
  // Baileys' end() destroys the event buffer without flushing it, losing events whose receipts already went
  // out (research/baileys.md §3.0, verified by a probe). Deliver them first, whoever ends the socket.
  const ops = socketOps(sock)
  const destroy = sock.ev.destroy.bind(sock.ev)
  sock.ev.destroy = () => {
    sock.ev.flush()
    destroy()
  }
  let ending = false
  // Resolved by the `connection: 'close'` update, which Baileys emits once the WebSocket is closed.
  let onClosed!: () => void
  const closed = new Promise<void>((r) => (onClosed = r))

  sock.ev.process((events) => {
    // Synchronous on purpose: nothing below awaits before the batch is stored.
    if (events['creds.update']) saveCreds()
    const me = meOf(state.creds.me)
    events = echoes.filter(events)
    // Messages from a socket being replaced are still messages WhatsApp considers delivered: always store them.
    o.handlers.batch(toBatch(events, me))
    const u = events['connection.update']
    if (!u) return
    if (u.qr) o.handlers.qr(u.qr)
    if (u.connection === 'open') {
      const id = me.jid ?? ''
      o.handlers.open({ jid: id, lid: me.lid, phone: id.split('@')[0] ?? '', pushName: state.creds.me?.name ?? null })
    }
    if (u.connection === 'close') {
      onClosed()
      const err = u.lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined
      o.handlers.close({ code: err?.output?.statusCode, message: err?.message ?? '', intentional: ending || !err })
    }
  })

  sock.ws.on('frame', () => o.handlers.frame())

  // Baileys emits nothing for a successful server ack of our sends (research/baileys.md §5.8); this internal
  // stanza hook turns it into status `sent`. Re-check on upgrades.
  sock.ws.on('CB:ack,class:message', (node: { attrs: Record<string, string> }) => {
    const { id, from, error } = node.attrs
    if (!id || !from || error) return
    const b = emptyBatch()
    b.updates.push({ chatJid: jidNormalizedUser(from), waId: id, fromMe: true, status: 'sent' })
    o.handlers.batch(b)
  })

  return {
    me: (): Me => meOf(state.creds.me),
    /** Flushes buffered events, then closes without logging out. */
    async end(): Promise<void> {
      ending = true
      sock.ev.flush()
      await sock.end(undefined)
    },
    /** Drops a connection that stopped answering; it closes with 408 and the reconnect policy takes over. */
    kill(reason: string): void {
      void sock.end(Object.assign(new Error(reason), { output: { statusCode: 408 } }))
    },
    /** Unlinks the device from the account (only on an explicit API request). */
    async logout(): Promise<void> {
      ending = true
      sock.ev.flush()
      await sock.logout()
    },
    requestPairingCode: (phone: string) => sock.requestPairingCode(phone.replace(/\D/g, '')),
    /** A received message's media, decrypted, as a stream (see whatsapp/media.ts). */
    downloadMedia: (job: MediaJob, host: string) => downloadMedia(job, host),
    /** Asks the sender's phone to re-upload expired media; resolves with the new directPath. */
    requestReupload: (job: MediaJob, timeoutMs: number) => requestReupload(sock, job, timeoutMs),
    /** Sends one queued operation under its pre-chosen id (resolves once the stanza is written). */
    sendQueued: (job: { chatJid: string; waId: string; content: OutboundContent }) =>
      sendQueued(sock, job, o.mediaFile ?? noMedia, o.linkPreviews ?? null),
    /** "typing…" / "recording audio…" shown in the chat until the next message (pacing). */
    presence: (jid: string, type: 'composing' | 'recording' | 'paused') => sock.sendPresenceUpdate(type, jid),
    createChannel: (name: string, description?: string) => cmd.createChannel(sock, name, description),
    channelMetadata: (jid: string) => cmd.channelMetadata(sock, jid),
    followChannel: (jid: string) => cmd.followChannel(sock, jid),
    unfollowChannel: (jid: string) => cmd.unfollowChannel(sock, jid),
    muteChannel: (jid: string, mute: boolean) => cmd.muteChannel(sock, jid, mute),
    ...ops,
  }
}
