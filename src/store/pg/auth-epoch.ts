// The auth epoch on PostgreSQL (migration db/pg/0004_auth_epoch): the same counter SQLite keeps, bumped by trigger
// on every change that can take access away, on whichever node makes it. Each node's caches hold only while the
// counter stands still, so a revocation on one node is seen by every node on its next request.
import { createEpochCaches, type AuthEpoch } from '../auth-epoch.ts'
import type { Async } from '../contract.ts'
import type { PgDb } from './db.ts'
import { num } from './rows.ts'

/**
 * `refresh` reads the database, so it answers a promise; `cache` only makes an in-memory map, so it stays
 * synchronous (the repositories build their caches when they are created).
 */
export type PgAuthEpoch = Omit<Async<AuthEpoch>, 'cache'> & Pick<AuthEpoch, 'cache'>

export function createPgAuthEpoch(pg: PgDb): PgAuthEpoch {
  const { sql } = pg
  const { observe, cache } = createEpochCaches()

  return {
    async refresh(): Promise<void> {
      const [row] = await sql`SELECT n FROM auth_epoch WHERE id = 1`
      observe(row ? num(row.n) : 0)
    },
    cache,
  }
}
