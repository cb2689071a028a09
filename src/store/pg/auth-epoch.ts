// The auth epoch on PostgreSQL (migration db/pg/0004_auth_epoch): the same counter SQLite keeps, bumped by trigger
// on every change that can take access away, on whichever node makes it. Each node's caches hold only while the
// counter stands still, so a revocation on one node is seen by every node on its next request.
import { createEpochCaches, type AuthEpoch } from '../auth-epoch.ts'
import type { Async } from '../contract.ts'
import type { PgDb } from './db.ts'
import { num } from './rows.ts'

/** The members that work in memory stay synchronous; those that read the database answer a promise. */
type InMemory = 'cache' | 'held'
export type PgAuthEpoch = Omit<Async<AuthEpoch>, InMemory> & Pick<AuthEpoch, InMemory>

export function createPgAuthEpoch(pg: PgDb): PgAuthEpoch {
  const { sql } = pg
  const { observe, held, cache } = createEpochCaches()
  const refresh = async (): Promise<void> => {
    const [row] = await sql`SELECT n FROM auth_epoch WHERE id = 1`
    observe(row ? num(row.n) : 0)
  }

  return {
    refresh,
    /** What a listing's query read (its `epochColumn`, int8), or a read of its own when it found no row. */
    async observeListing(rows: { epoch?: unknown }[]): Promise<void> {
      if (rows.length) observe(num(rows[0]!.epoch ?? 0))
      else await refresh()
    },
    held,
    cache,
  }
}
