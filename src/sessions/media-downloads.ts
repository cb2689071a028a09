// The media download queue: pending downloads (message_media rows) run after their message was committed, while
// the session is connected, a few at a time across all sessions. Each streams Baileys' decrypted download into the
// media store (verified against WhatsApp's fileSha256), then settles the message in one transaction with its
// `message.media` event. A 404/410 asks the sender's phone to re-upload (Baileys' own re-upload never fires, see
// whatsapp/media.ts); other failures retry with backoff and end as `failed`.
import type { Logger } from '../log.ts'
import { MediaStoreError, type MediaStore } from '../media/store.ts'
import type { DueJob } from '../store/media-sql.ts'
import { downloadStatus, mediaHostOf, type MediaJob } from '../whatsapp/media.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import type { EngineIngest } from './engine-store.ts'
import type { MediaOutcome } from './ingest-media.ts'

/** WhatsApp's media CDN: the only hosts inbound media is fetched from unless the operator allows more. */
export const isWhatsAppMediaHost = (host: string) => /(^|\.)whatsapp\.net$/i.test(host.replace(/:\d+$/, ''))

export type MediaDownloadsOptions = {
  ingest: EngineIngest
  store: MediaStore
  /** `--media-max-bytes`: a longer download stops and is recorded as skipped. */
  maxBytes: number
  socketOf(sessionId: string): WaSocket | null
  /**
   * May media be fetched from this `host[:port]`? The url comes from the sender's message, so it is checked
   * before anything connects. Default: WhatsApp's CDN only.
   */
  hostAllowed?: (host: string) => boolean
  logger: Logger
  clock: () => number
  /** Downloads in flight at once, over all sessions (default 3). */
  concurrency?: number
  /** Waits before the 2nd, 3rd, … attempt; after the last the download fails (default 5 s, 30 s, 2 min, 10 min). */
  retryDelaysMs?: number[]
  /** How long to wait for the phone's re-upload answer (default 30 s). */
  reuploadTimeoutMs?: number
}

const DEFAULT_DELAYS = [5_000, 30_000, 120_000, 600_000]

export type MediaDownloads = ReturnType<typeof createMediaDownloads>

export function createMediaDownloads(o: MediaDownloadsOptions) {
  const log = o.logger.child({ module: 'media' })
  const concurrency = o.concurrency ?? 3
  const delays = o.retryDelaysMs ?? DEFAULT_DELAYS
  const hostAllowed = o.hostAllowed ?? isWhatsAppMediaHost
  const inFlight = new Map<string, Set<number>>()
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const starved = new Set<string>()
  let running = 0
  let stopped = false

  async function settle(sessionId: string, pk: number, attempts: number, outcome: MediaOutcome) {
    try {
      await o.ingest.mediaSettled(sessionId, pk, attempts, outcome)
    } catch (err) {
      log.warn({ sessionId, pk, err: String(err) }, 'could not record a media download') // session deleted
    }
  }

  /** One attempt (and, after a 404/410, one more with the re-uploaded path). */
  async function run(sessionId: string, j: DueJob) {
    const attempts = j.attempts + 1
    const sock = o.socketOf(sessionId)
    if (!sock) return // stays pending; the next connect wakes the queue
    if (!j.media_key) return settle(sessionId, j.message_pk, attempts, { status: 'failed', error: 'no media key' })
    const job: MediaJob = {
      kind: j.kind,
      mediaKey: j.media_key,
      directPath: j.direct_path,
      url: j.url,
      chatJid: j.chat_jid,
      waId: j.wa_id,
      fromMe: j.from_me === 1,
      participant: j.chat_jid.endsWith('@g.us') && j.from_me !== 1 ? j.sender_jid : null,
    }
    const host = mediaHostOf(job) ?? 'mmg.whatsapp.net'
    if (!hostAllowed(host))
      return settle(sessionId, j.message_pk, attempts, { status: 'failed', error: `media host ${host} is not allowed` })
    const holder = { sessionId, owner: `message:${j.message_pk}` }
    let reuploaded = false
    for (;;) {
      try {
        const bytes = await sock.downloadMedia(job, host)
        const stored = await o.store.put(bytes, { expectedSha256: j.file_sha256, maxBytes: o.maxBytes, holder })
        return settle(sessionId, j.message_pk, attempts, { status: 'stored', ...stored })
      } catch (err) {
        if (err instanceof MediaStoreError && err.reason === 'too_large')
          return settle(sessionId, j.message_pk, attempts, { status: 'skipped', error: err.message })
        const status = downloadStatus(err)
        if ((status === 404 || status === 410) && !reuploaded && o.socketOf(sessionId) === sock) {
          reuploaded = true
          try {
            job.directPath = await sock.requestReupload(job, o.reuploadTimeoutMs ?? 30_000)
            await o.ingest.mediaRetry(sessionId, j.message_pk, j.attempts, o.clock(), null, {
              directPath: job.directPath,
              url: null,
            })
            continue
          } catch (e) {
            return retryLater(sessionId, j, attempts, `re-upload failed: ${(e as Error).message}`)
          }
        }
        return retryLater(sessionId, j, attempts, (err as Error)?.message ?? String(err))
      }
    }
  }

  async function retryLater(sessionId: string, j: DueJob, attempts: number, error: string) {
    log.info({ sessionId, pk: j.message_pk, attempts, error }, 'media download failed')
    const delay = delays[attempts - 1]
    if (delay === undefined) return settle(sessionId, j.message_pk, attempts, { status: 'failed', error })
    await o.ingest.mediaRetry(sessionId, j.message_pk, attempts, o.clock() + delay, error)
  }

  function start(sessionId: string, j: DueJob) {
    let set = inFlight.get(sessionId)
    if (!set) inFlight.set(sessionId, (set = new Set()))
    set.add(j.message_pk)
    running++
    void run(sessionId, j)
      .catch((err: unknown) => log.error({ sessionId, err: String(err) }, 'media download crashed'))
      .finally(() => {
        set.delete(j.message_pk)
        running--
        pump(sessionId)
        for (const s of [...starved]) {
          starved.delete(s)
          pump(s)
        }
      })
  }

  /** Starts what is due for the session (slots permitting) and arms a timer for the next retry. */
  function pump(sessionId: string) {
    pumping(sessionId).catch((err: unknown) => log.warn({ sessionId, err: String(err) }, 'media queue read failed'))
  }
  async function pumping(sessionId: string) {
    if (stopped || !o.socketOf(sessionId)) return
    const due = await o.ingest.dueMedia(sessionId, concurrency + (inFlight.get(sessionId)?.size ?? 0))
    for (const j of due) {
      // In flight now (another pump may have started it while this one read the queue).
      if (inFlight.get(sessionId)?.has(j.message_pk)) continue
      if (running >= concurrency) {
        starved.add(sessionId)
        return
      }
      start(sessionId, j)
    }
    const at = await o.ingest.nextMediaAt(sessionId)
    if (stopped) return
    const now = o.clock()
    clearTimeout(timers.get(sessionId))
    timers.delete(sessionId)
    if (at !== null && at > now) {
      const t = setTimeout(() => pump(sessionId), Math.min(at - now, 2 ** 31 - 1))
      t.unref?.()
      timers.set(sessionId, t)
    }
  }

  return {
    /** New downloads were queued, or the session (re)connected. */
    wake: (sessionId: string) => pump(sessionId),
    /** The session is gone or disconnected: no new download starts (running ones finish). */
    pause(sessionId: string) {
      clearTimeout(timers.get(sessionId))
      timers.delete(sessionId)
      starved.delete(sessionId)
    },
    /** Downloads in flight, for tests and shutdown. */
    running: () => running,
    stopAll() {
      stopped = true
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    },
  }
}
