// The auth epoch (migration 0006): a counter the database bumps, by trigger, on every change that can take access
// away — an API key revoked, re-scoped, moved or deleted, an organisation or a session deleted — whichever process
// makes it. Caches of what authentication and ownership checks read hold only while the counter stands still.
import type { Db } from './db.ts'

/** Past this many entries a cache starts over (a bound on memory, not a policy: a miss only costs one lookup). */
const MAX_ENTRIES = 10_000

export type AuthEpoch = ReturnType<typeof createAuthEpoch>

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
  const { observe, cache } = createEpochCaches()

  return {
    /**
     * Reads the counter (one primary-key read) and, when it moved since the last call, empties every cache made
     * by `cache()`. Called once at the start of every authenticated request, before any cache is consulted.
     */
    refresh(): void {
      observe(read.get()?.n ?? 0)
    },
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache,
  }
}
