// The two building blocks of a session's auth state (auth-state.ts): the bounded cache of decoded keys, and the
// lane that keeps the session's auth writes in call order when the store answers later (PostgreSQL).

/** A value now (SQLite) or later (PostgreSQL). */
export type Maybe<T> = T | Promise<T>

export const keyOf = (type: string, id: string) => `${type}\u0000${id}`
const PRE_KEY = keyOf('pre-key', '')

/**
 * Decoded keys by type and id (null: known absent). A plain bounded Map: no timers (research/baileys.md §2.3).
 * Pre-keys are not kept: a linked device uploads 812 of them and each is read at most once, by a contact's first
 * message, then deleted; cached, they were 1,600 buffers and ~300 KB of heap per session linked
 * (scripts/bench/memory.ts).
 */
export function createKeyCache(max = 5000) {
  const m = new Map<string, unknown>()
  return {
    has: (k: string) => m.has(k),
    get: (k: string) => m.get(k),
    set(k: string, v: unknown) {
      if (k.startsWith(PRE_KEY)) return
      if (m.size >= max && !m.has(k)) m.delete(m.keys().next().value as string)
      m.set(k, v)
    },
    clear: () => m.clear(),
  }
}

/**
 * The session's auth writes, one after the other: on PostgreSQL a write answers later, and a later write of a key
 * must not commit before an earlier one. On SQLite every write is done when it returns, so nothing ever waits.
 */
export function createLane() {
  let tail: Promise<unknown> | null = null
  /** The hold the receipt hooks share (`share`), and the tail it left: joinable while nothing queued after it. */
  let shared: { holders: number; tail: Promise<unknown> | null; got: Maybe<() => void> } | null = null
  const track = (p: Promise<unknown>) => {
    const t = p.then(
      () => {},
      () => {},
    )
    tail = t
    void t.then(() => tail === t && (tail = null))
  }
  /**
   * Takes the lane (after every earlier write) until the returned `release` is called: the receipt hook's
   * commit. Synchronous when the lane is free.
   */
  const acquire = (): Maybe<() => void> => {
    let release!: () => void
    const mine = new Promise<void>((r) => (release = r))
    const prev = tail
    track(prev ? prev.then(() => mine) : mine)
    return prev ? prev.then(() => release) : release
  }
  return {
    run<T>(work: () => Maybe<T>): Maybe<T> {
      if (tail) {
        const p = tail.then(work)
        track(p)
        return p
      }
      const r = work()
      if (r instanceof Promise) track(r)
      return r
    },
    acquire,
    /**
     * `acquire` for receipt hooks whose writes commit in the order they were queued (SQLite's group commit): a
     * hook joins the hold of the hooks before it while no other write was queued after them, and the lane is
     * released when the last of them releases. A write queued meanwhile still runs after the holders before it
     * and before the hooks that come after it.
     */
    share(): Maybe<() => void> {
      let hold = shared && shared.tail === tail ? shared : null
      if (!hold) {
        const got = acquire()
        hold = shared = { holders: 0, tail, got }
      }
      const h = hold
      h.holders++
      let done = false
      const releaser = (free: () => void) => () => {
        if (done) return
        done = true
        if (--h.holders > 0) return
        if (shared === h) shared = null
        free()
      }
      return h.got instanceof Promise ? h.got.then(releaser) : releaser(h.got)
    },
  }
}
