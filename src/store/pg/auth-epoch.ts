// The auth epoch on PostgreSQL (migration db/pg/0003_auth_epoch): the same counter SQLite keeps, bumped by trigger
// on every change that can take access away, on whichever node makes it. Each node's caches hold only while the
// counter stands still, so a revocation on one node is seen by every node on its next request.
import type { AuthEpoch } from '../auth-epoch.ts'
import type { Async } from '../contract.ts'
import type { PgDb } from './db.ts'
import { num } from './rows.ts'

/** Past this many entries a cache starts over (a bound on memory, not a policy: a miss only costs one lookup). */
const MAX_ENTRIES = 10_000

/**
 * `refresh` reads the database, so it answers a promise; `cache` only makes an in-memory map, so it stays
 * synchronous (the repositories build their caches when they are created).
 */
export type PgAuthEpoch = Omit<Async<AuthEpoch>, 'cache'> & Pick<AuthEpoch, 'cache'>

export function createPgAuthEpoch(pg: PgDb): PgAuthEpoch {
  const { sql } = pg
  let seen: number | null = null
  const caches: Map<unknown, unknown>[] = []

  return {
    async refresh(): Promise<void> {
      const [row] = await sql`SELECT n FROM auth_epoch WHERE id = 1`
      const n = row ? num(row.n) : 0
      if (n === seen) return
      seen = n
      for (const c of caches) c.clear()
    },
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
