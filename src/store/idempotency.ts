// Remembers the first answer to a request carrying an Idempotency-Key, for 24 hours.
import type { Db } from './db.ts'

export const idempotencyTtlMs = 24 * 60 * 60 * 1000

export type Remembered = { bodyHash: string; status: number; response: string }

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>

export function createIdempotencyStore(db: Db) {
  const get = db.sqlite.query<Remembered, [string, string, string, number]>(
    `SELECT body_hash AS bodyHash, status, response FROM idempotency_keys
     WHERE org_id = ? AND scope = ? AND key = ? AND created_at > ?`,
  )
  const put = db.sqlite.query<null, [string, string, string, string, number, string, number]>(
    `INSERT INTO idempotency_keys (org_id, scope, key, body_hash, status, response, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (org_id, scope, key) DO UPDATE SET body_hash = excluded.body_hash, status = excluded.status,
       response = excluded.response, created_at = excluded.created_at`,
  )
  const prune = db.sqlite.query<null, [number]>('DELETE FROM idempotency_keys WHERE created_at <= ?')

  return {
    get: (orgId: string, scope: string, key: string, now = Date.now()) =>
      get.get(orgId, scope, key, now - idempotencyTtlMs),
    put: (orgId: string, scope: string, key: string, r: Remembered, now = Date.now()) =>
      void put.run(orgId, scope, key, r.bodyHash, r.status, r.response, now),
    prune: (now = Date.now()) => void prune.run(now - idempotencyTtlMs),
  }
}
