// Group commit of the receipt hooks' writes on SQLite. Each decrypted message must be committed, with the Signal key
// writes of its decrypt, before its receipt leaves. The hooks that run in the same turn of the event loop wait for one
// transaction holding all their messages, committed on the next `setImmediate`; a commit costs more than the rows of
// one message (scripts/bench/inbound-store.ts). They are different sessions' messages, and several of one session's:
// its hook hands Baileys' message mutex on once its write is queued (whatsapp/message-turns.ts), so the next message
// decrypts meanwhile. Writes commit in the order they were queued; when one fails, its key writes say so at once
// (`KeyWrites.failed`), so a later message of the same socket, decrypted from the ratchet step that did not commit,
// is refused rather than stored (`KeyWrites.valid`).
import type { KeyWrites } from '../store/auth-state-sql.ts'
import type { Batch } from '../whatsapp/records.ts'

/** One receipt hook's write: a decrypted message's batch and its key writes. */
export type Received = { sessionId: string; batch: Batch; keys: KeyWrites | null }

type Waiting = Received & { resolve(): void; reject(e: unknown): void }

export function createGroupCommit(o: {
  /** Commits every write in one transaction; throws (all rolled back) when any fails. */
  all(writes: Received[]): void
  /** Commits one write in its own transaction; throws (rolled back) when it fails. */
  one(write: Received): void
  /**
   * Commits at once when this many wait: one socket's messages keep decrypting in one turn of the event loop while
   * frames are queued, and neither the receipts nor the event loop should wait for all of them.
   */
  max: number
}) {
  let waiting: Waiting[] = []
  /** Nothing of `w` is stored: its key writes learn it before any later write commits. */
  const fail = (w: Waiting, e: unknown) => {
    if (w.keys) {
      w.keys.stored = false
      w.keys.failed?.()
    }
    w.reject(e)
  }
  let timer: ReturnType<typeof setImmediate> | null = null

  /**
   * Commits the waiting writes in one transaction. If it fails, each is tried again alone, so a message that cannot
   * be stored fails (its hook rejects: Baileys NACKs it) without taking the others with it.
   */
  function commit(): void {
    if (timer) clearImmediate(timer)
    timer = null
    const writes = waiting
    if (!writes.length) return
    waiting = []
    try {
      o.all(writes)
    } catch (e) {
      if (writes.length === 1) return fail(writes[0]!, e)
      for (const w of writes) if (w.keys) w.keys.stored = false // rolled back
      for (const w of writes) {
        try {
          o.one(w)
          w.resolve()
        } catch (err) {
          fail(w, err)
        }
      }
      return
    }
    for (const w of writes) w.resolve()
  }

  return {
    /** Resolves once `write` is committed; rejects when it could not be (nothing of it is stored then). */
    add(write: Received): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ ...write, resolve, reject })
        if (waiting.length >= o.max) commit()
        else timer ??= setImmediate(commit)
      })
    },
    /** Commits the waiting writes now: any other write or read of the store comes after them, as it was called. */
    settle(): void {
      if (waiting.length) commit()
    },
  }
}
