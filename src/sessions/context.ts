// What every part of the supervisor shares: its options, the store-facing ingest, and one live state per session.
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { createSessionAuth } from '../whatsapp/auth-state.ts'
import { createSealer } from '../domain/sealer.ts'
import type { MediaStore } from '../media/store.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import { defaultBackoff, type BackoffOptions } from './backoff.ts'
import type { Session } from '../domain/session.ts'
import type { EngineIngest, EngineStore } from './engine-store.ts'
import type { SessionPatch } from './ingest-writes.ts'
import { newLive, type Live } from './live.ts'
import type { MediaPolicy } from './ingest-media.ts'
import { createMediaDownloads, type MediaDownloads, type MediaDownloadsOptions } from './media-downloads.ts'
import { createSending, type Sending, type SendingOptions } from './sending.ts'

export type SupervisorOptions = {
  /** Where sessions are stored: `sqliteEngineStore` (the data dir) or `pgEngineStore` (a cluster node). */
  store: EngineStore
  logger: Logger
  /** 32-byte key sealing auth state at rest (see whatsapp/secret-key.ts). */
  secretKey: Buffer
  /** WhatsApp's WebSocket URL; Baileys' default (the real WhatsApp) when undefined. */
  waUrl?: string | undefined
  /** The one root key to trust (32 bytes); WhatsApp's own when undefined. Signatures are checked strictly either way. */
  rootKey?: Buffer | undefined
  /** PEM of an extra CA trusted for WhatsApp media transfers (the simulator's media host); see whatsapp/media-ca.ts. */
  mediaCa?: string | undefined
  backoff?: Partial<BackoffOptions>
  /** Least time between two sessions restored at boot (see sessions/restore.ts). */
  restoreStaggerMs?: number
  /** Restores (logins) in flight at once at boot. */
  restoreConcurrency?: number
  keepAliveIntervalMs?: number
  /** No frame for this long while connected → `degraded` and a reconnect (default 75 s; 0 disables). */
  deafAfterMs?: number
  connectTimeoutMs?: number
  /** Level for Baileys' own logs (quiet by default). */
  baileysLogLevel?: string
  clock?: () => number
  random?: () => number
  /** Global send pacing (sessions override it with metadata `sendPacing`), queue bound, media store and fetching. */
  sending?: Partial<
    Pick<SendingOptions, 'pacing' | 'queueMax' | 'mediaMaxBytes' | 'media' | 'fetchMedia' | 'linkPreviews'>
  >
  /** Inbound media: where downloads are stored and which are made (none without it). */
  downloads?: { store: MediaStore; policy: MediaPolicy } & Partial<
    Pick<MediaDownloadsOptions, 'hostAllowed' | 'concurrency' | 'retryDelaysMs' | 'reuploadTimeoutMs'>
  >
}

export type Context = {
  options: SupervisorOptions
  log: Logger
  clock: () => number
  policy: BackoffOptions
  ingest: EngineIngest
  lives: Map<string, Live>
  /** The session's live state, created on first use; `not_found` when the session does not exist. */
  liveOf(sessionId: string): Promise<Live>
  /**
   * Records a status change; a session deleted meanwhile (or a write refused) is logged, not thrown. The writes of
   * a session keep the order they were made in, so callers that need not wait may leave it running.
   */
  setStatus(sessionId: string, patch: SessionPatch): Promise<Session | null>
  /** The session's socket, or `session_not_connected`. */
  connectedSock(sessionId: string): WaSocket
  /** The outbound side: accepted operations and the per-session senders draining the queue. */
  sending: Sending
  /** The inbound media download queue (null without a media store). */
  downloads: MediaDownloads | null
}

export function createContext(o: SupervisorOptions): Context {
  const log = o.logger.child({ module: 'supervisor' })
  const clock = o.clock ?? Date.now
  let downloads: MediaDownloads | null = null
  const { ingest, auth: authSql } = o.store.open({
    clock,
    mediaPolicy: o.downloads?.policy,
    onMediaQueued: (id) => downloads?.wake(id),
  })
  const sealer = createSealer(o.secretKey)
  const lives = new Map<string, Live>()
  const socketOf = (id: string) => {
    const live = lives.get(id)
    return live?.sock && live.connected ? live.sock : null
  }
  if (o.downloads) {
    const { store, policy, ...rest } = o.downloads
    downloads = createMediaDownloads({
      ...rest,
      ingest,
      store,
      maxBytes: policy.maxBytes,
      socketOf,
      logger: log,
      clock,
    })
  }
  const sending = createSending({
    ...o.sending,
    ingest,
    logger: log,
    socketOf,
    clock,
    random: o.random,
  })
  return {
    sending,
    downloads,
    options: o,
    log,
    clock,
    policy: { ...defaultBackoff, ...o.backoff },
    ingest,
    lives,
    async liveOf(sessionId) {
      const known = lives.get(sessionId)
      if (known) return known
      if (!(await ingest.sessionRow(sessionId))) throw new AppError('not_found', 'session not found')
      // Another call may have created it while the row was read.
      let live = lives.get(sessionId)
      if (!live) {
        live = newLive(createSessionAuth({ sessionId, sql: authSql, sealer, logger: log.child({ sessionId }) }))
        lives.set(sessionId, live)
      }
      return live
    },
    async setStatus(sessionId, patch) {
      try {
        return await ingest.session(sessionId, patch)
      } catch (e) {
        log.warn({ sessionId, err: String(e) }, 'could not record session status') // deleted meanwhile
        return null
      }
    },
    connectedSock(sessionId) {
      const live = lives.get(sessionId)
      if (!live?.sock || !live.connected) throw new AppError('session_not_connected', 'session is not connected')
      return live.sock
    },
  }
}
