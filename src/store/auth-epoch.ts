// The auth epoch (migration 0006): a counter the database bumps, by trigger, on every change that can take access
// away — an API key revoked, re-scoped, moved or deleted, an organisation or a session deleted — whichever process
// makes it. Caches of what authentication and ownership checks read hold only while the counter stands still.
import type { Db } from './db.ts'

/** Past this many entries a cache starts over (a bound on memory, not a policy: a miss only costs one lookup). */
const MAX_ENTRIES = 10_000

export type AuthEpoch = ReturnType<typeof createAuthEpoch>

/**
 * The auth epoch as one more column of a listing's statement: read in the same snapshot as the rows, so the hot
 * listings need no statement of their own for it (see `observeListing`).
 */
export const epochColumn = '(SELECT n FROM auth_epoch WHERE id = 1) AS epoch'

/**
 * The caches that hold while the epoch stands still, whichever database the counter is read from: `observe(n)`
 * with the counter just read empties them all when it moved.
 */
export function createEpochCaches() {
  let seen: number | null = null
  // Moves each time the caches are emptied for a new epoch: a value read before it moved may predate the change
  // that moved it, so it must not be cached after (see `mark`).
  let generation = 0
  const caches: Map<unknown, unknown>[] = []
  return {
    observe(n: number): void {
      if (n === seen) return
      seen = n
      generation++
      for (const c of caches) c.clear()
    },
    /** The epoch the caches hold for: the last value observed (null before the first). */
    held: (): number | null => seen,
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache<K, V>() {
      const map = new Map<K, V>()
      caches.push(map)
      return {
        get: (k: K) => map.get(k),
        /**
         * Taken before a read that answers asynchronously (PostgreSQL), and given to `set` with its answer: if
         * another request observed a new epoch while the read was out, the answer may be from before the change
         * that moved it (a key just revoked), so it is not cached.
         */
        mark: (): number => generation,
        set(k: K, v: V, since: number = generation) {
          if (since !== generation) return
          if (map.size >= MAX_ENTRIES) map.clear()
          map.set(k, v)
        },
      }
    },
  }
}

export function createAuthEpoch(db: Db) {
  const read = db.sqlite.query<{ n: number }, []>('SELECT n FROM auth_epoch WHERE id = 1')
  const { observe, held, cache } = createEpochCaches()
  const refresh = (): void => observe(read.get()?.n ?? 0)

  return {
    /**
     * Reads the counter (one primary-key read) and, when it moved since the last call, empties every cache made
     * by `cache()`. Called at the start of every authenticated request, before any cache is consulted, except
     * on the hot listings, which read it with their rows (http/auth.ts `listingAuth`).
     */
    refresh,
    /** What a listing's statement read (its `epochColumn`), or a read of its own when it found no row. */
    observeListing(rows: { epoch?: number }[]): void {
      if (rows.length) observe(rows[0]!.epoch ?? 0)
      else refresh()
    },
    held,
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache,
  }
}
