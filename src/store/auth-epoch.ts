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
  const caches: Map<unknown, unknown>[] = []
  return {
    observe(n: number): void {
      if (n === seen) return
      seen = n
      for (const c of caches) c.clear()
    },
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache<K, V>() {
      const map = new Map<K, V>()
      caches.push(map)
      return {
        get: (k: K) => map.get(k),
        set(k: K, v: V) {
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
