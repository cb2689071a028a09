// Idempotency records on PostgreSQL (src/store/idempotency.ts is the SQLite one).
import type { Async } from '../contract.ts'
import { createIdempotencyStore, idempotencyTtlMs, type Remembered } from '../idempotency.ts'
import type { PgDb } from './db.ts'

type IdempotencyStore = ReturnType<typeof createIdempotencyStore>

export function createPgIdempotencyStore(pg: PgDb): Async<IdempotencyStore> {
  const { sql } = pg
  return {
    async get(orgId: string, scope: string, key: string, now = Date.now()) {
      const [r] = await sql<Remembered[]>`SELECT body_hash AS "bodyHash", status, response FROM idempotency_keys
        WHERE org_id = ${orgId} AND scope = ${scope} AND key = ${key} AND created_at > ${now - idempotencyTtlMs}`
      return r ? { bodyHash: r.bodyHash, status: r.status, response: r.response } : null
    },
    async put(orgId: string, scope: string, key: string, r: Remembered, now = Date.now()) {
      await sql`INSERT INTO idempotency_keys (org_id, scope, key, body_hash, status, response, created_at)
        VALUES (${orgId}, ${scope}, ${key}, ${r.bodyHash}, ${r.status}, ${r.response}, ${now})
        ON CONFLICT (org_id, scope, key) DO UPDATE SET body_hash = excluded.body_hash, status = excluded.status,
          response = excluded.response, created_at = excluded.created_at`
    },
    async prune(now = Date.now()) {
      await sql`DELETE FROM idempotency_keys WHERE created_at <= ${now - idempotencyTtlMs}`
    },
  }
}
