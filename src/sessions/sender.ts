// The per-session sender: drains the session's send queue in order, paced, on its live socket.
//
// One loop per session, started by `wake` (a new row, the socket opened) and ending when the queue is empty or
// the socket is gone. The head row blocks the rest, so the order per chat (and per session) is the accept order.
// A row is deleted only after Baileys wrote the stanza, in the same transaction as the operation's effects; a
// crash before that sends it again after restart under the same id, which recipients dedupe.
import type { Pacing } from '../domain/outbound.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { QueuedSend } from '../store/outbound.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import { planSend } from './pacing.ts'
import type { Maybe } from './engine-store.ts'

/** Attempts of one row while the socket stays connected; then the message is marked `error`. */
export const MAX_ATTEMPTS = 3
const RETRY_BASE_MS = 2000

/** SQLite answers at once, PostgreSQL with a promise (`Maybe`): the sender awaits either. */
export type SenderDeps = {
  queue: { head(sessionId: string): Maybe<QueuedSend | null> }
  /** The session's connected socket, or null. */
  socketOf(sessionId: string): WaSocket | null
  pacing(sessionId: string): Maybe<Pacing>
  /** Deletes the row and applies what the operation changed (edit, revoke, reaction), in one transaction. */
  done(sessionId: string, job: QueuedSend): Maybe<void>
  /** Records a failed attempt: retried at `notBefore`, or (final) the row dropped and its message marked error. */
  failed(sessionId: string, job: QueuedSend, error: string, final: boolean, notBefore: number): Maybe<void>
  logger: Logger
  clock?: () => number
  random?: () => number
}

type Loop = { running: boolean; stopped: boolean; lastSentAt: number | null; cancel: (() => void) | null }

export type Sender = ReturnType<typeof createSender>

export function createSender(d: SenderDeps) {
  const clock = d.clock ?? Date.now
  const random = d.random ?? Math.random
  const loops = new Map<string, Loop>()

  const loopOf = (id: string) => {
    let l = loops.get(id)
    if (!l) loops.set(id, (l = { running: false, stopped: false, lastSentAt: null, cancel: null }))
    return l
  }

  /**
   * Resolves after `ms`, or at once when the loop is stopped. With no wait it still resolves only on the event
   * loop's next turn: with pacing off, Baileys' send is all promise continuations (cached keys, a buffered socket
   * write), so a loop awaiting only that would hold the event loop for the whole queue — no timers, no socket
   * reads, no HTTP for every session of the process — and Baileys' keep-alive, seeing no frame read for that long,
   * then closes the socket with 408 and the server acks still unread in it are lost (messages stay `pending`).
   */
  const pause = (l: Loop, ms: number) =>
    new Promise<void>((resolve) => {
      if (l.stopped) return resolve()
      const done = () => {
        l.cancel = null
        resolve()
      }
      if (ms <= 0) {
        const immediate = setImmediate(done)
        l.cancel = () => (clearImmediate(immediate), done())
        return
      }
      const timer = setTimeout(done, ms)
      l.cancel = () => (clearTimeout(timer), done())
    })

  async function run(sessionId: string, l: Loop) {
    l.running = true
    try {
      while (!l.stopped) {
        if (!d.socketOf(sessionId)) return
        const job = await d.queue.head(sessionId)
        if (!job) return
        const now = clock()
        if (job.notBefore > now) {
          await pause(l, job.notBefore - now)
          continue
        }
        const pace = d.pacing(sessionId)
        const plan = planSend(pace instanceof Promise ? await pace : pace, job.content, l.lastSentAt, now, random)
        await pause(l, plan.idleMs)
        let sock = d.socketOf(sessionId)
        if (l.stopped || !sock) return
        if (plan.presence) {
          await sock.presence(job.chatJid, plan.presence).catch(() => {})
          await pause(l, plan.presenceMs)
          sock = d.socketOf(sessionId)
          if (l.stopped || !sock) return
        }
        await attempt(sessionId, l, sock, job)
      }
    } catch (e) {
      d.logger.error({ sessionId, err: String(e) }, 'sender stopped by an error')
    } finally {
      l.running = false
    }
  }

  async function attempt(sessionId: string, l: Loop, sock: WaSocket, job: QueuedSend) {
    try {
      await sock.sendQueued(job)
      l.lastSentAt = clock()
      await d.done(sessionId, job)
    } catch (e) {
      l.lastSentAt = clock()
      // Only our own errors' messages are safe to store and show; anything else is logged, not shown.
      const error = e instanceof AppError ? e.message : 'send failed: internal error (see the gateway log)'
      // A send cut by a disconnect is tried again when the socket is back; it did not count as an attempt.
      if (d.socketOf(sessionId) !== sock) return
      const attempts = job.attempts + 1
      const final = attempts >= MAX_ATTEMPTS || (e instanceof AppError && e.errorCode === 'validation_error')
      // `error` (stored, shown on the message) is the safe text; WhatsApp's raw refusal is only logged.
      const raw = e instanceof AppError ? (e.cause ?? e.message) : e
      d.logger.warn({ sessionId, waId: job.waId, attempts, final, err: String(raw) }, 'send failed')
      await d.failed(sessionId, job, error, final, clock() + RETRY_BASE_MS * 4 ** (attempts - 1))
    }
  }

  return {
    /** Starts the session's loop unless it runs (a running loop reads the queue again before it ends). */
    wake(sessionId: string): void {
      const l = loopOf(sessionId)
      l.stopped = false
      if (!l.running) void run(sessionId, l)
    },
    /**
     * Ends the session's loop after its current send (if any). The loop object stays, so a `wake` before that send
     * finished continues the same loop instead of starting a second one that would send the same head row again.
     */
    stop(sessionId: string): void {
      const l = loops.get(sessionId)
      if (!l) return
      l.stopped = true
      l.cancel?.()
    },
    /** Forgets a deleted session. */
    forget(sessionId: string): void {
      this.stop(sessionId)
      loops.delete(sessionId)
    },
    stopAll(): void {
      for (const id of [...loops.keys()]) this.stop(id)
    },
  }
}
