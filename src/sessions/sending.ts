// The outbound side of the supervisor: accept operations (send-ops) and the per-session sender, wired together.
import type { MediaFiles } from '../domain/media-files.ts'
import type { LinkPreviewer, Pacing, SendPacing } from '../domain/outbound.ts'
import type { Logger } from '../log.ts'
import type { QueuedSend } from '../store/outbound.ts'
import { emptyBatch, type Batch } from '../whatsapp/records.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import { then, type EngineIngest, type Maybe } from './engine-store.ts'
import { pacingOf } from './pacing.ts'
import { createSendOps, type FetchMedia } from './send-ops.ts'
import { createSender } from './sender.ts'

/** Documented defaults (README "Sending messages"): 2–5 s between sends, "typing…" before texts. */
export const defaultPacing: Pacing = { minGapMs: 2000, jitterMs: 3000, typing: true }
export const defaultQueueMax = 1000
export const defaultMediaMaxBytes = 100 * 1024 * 1024

export type SendingOptions = {
  ingest: EngineIngest
  logger: Logger
  /** The session's connected socket, or null. */
  socketOf(sessionId: string): WaSocket | null
  pacing?: Pacing | undefined
  queueMax?: number | undefined
  mediaMaxBytes?: number | undefined
  media?: MediaFiles | null | undefined
  fetchMedia?: FetchMedia | null | undefined
  /** Link previews for texts (used by the socket when it sends; none when absent). */
  linkPreviews?: LinkPreviewer | null | undefined
  clock(): number
  random?: (() => number) | undefined
}

/** What a finished operation changed in the stored copy: the edit, the revoke, our reaction. */
function effectsOf(job: QueuedSend, me: string | null, now: number): Batch {
  const b = emptyBatch()
  const c = job.content
  if (c.kind === 'edit')
    b.updates.push({ chatJid: c.target.chatJid, waId: c.target.waId, fromMe: c.target.fromMe, editedBody: c.text })
  if (c.kind === 'revoke')
    b.updates.push({ chatJid: c.target.chatJid, waId: c.target.waId, fromMe: c.target.fromMe, revoked: true })
  if (c.kind === 'react' && me)
    b.reactions.push({ chatJid: c.target.chatJid, waId: c.target.waId, reactor: me, text: c.emoji, timestamp: now })
  return b
}

export type Sending = ReturnType<typeof createSending>

export function createSending(o: SendingOptions) {
  const global = o.pacing ?? defaultPacing
  const pacing = (sessionId: string): Maybe<Pacing> =>
    then(o.ingest.sessionRow(sessionId), (row) => {
      const metadata = row?.metadata
      let own: SendPacing | undefined
      try {
        own = metadata ? (JSON.parse(metadata) as { sendPacing?: SendPacing }).sendPacing : undefined
      } catch {
        own = undefined
      }
      return pacingOf(global, own)
    })
  const sender = createSender({
    queue: o.ingest.queue,
    socketOf: o.socketOf,
    pacing,
    done: (id, job) => {
      const finish = (me: string | null) => o.ingest.sendDone(id, job, effectsOf(job, me, o.clock()))
      // Only our reaction's effect names us: other operations do not read the session row again.
      return job.content.kind === 'react'
        ? then(o.ingest.sessionRow(id), (row) => finish(row?.jid ?? null))
        : finish(null)
    },
    failed: (id, job, error, final, notBefore) => o.ingest.sendFailed(id, job, error, final, notBefore),
    logger: o.logger.child({ module: 'sender' }),
    clock: o.clock,
    random: o.random,
  })
  const ops = createSendOps({
    ingest: o.ingest,
    media: o.media ?? null,
    fetchMedia: o.fetchMedia ?? null,
    wake: (id) => sender.wake(id),
    pacing,
    queueMax: o.queueMax ?? defaultQueueMax,
    mediaMaxBytes: o.mediaMaxBytes ?? defaultMediaMaxBytes,
    clock: o.clock,
  })
  return {
    ops,
    /** The socket opened: drain what is queued. */
    connected: (sessionId: string) => sender.wake(sessionId),
    /** The socket is gone: the loop ends after its current send. */
    disconnected: (sessionId: string) => sender.stop(sessionId),
    forget: (sessionId: string) => sender.forget(sessionId),
    stopAll: () => sender.stopAll(),
  }
}
