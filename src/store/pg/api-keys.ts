// API keys repository on PostgreSQL (src/store/api-keys.ts is the SQLite one; same answers, same cursors).
import { ulid } from 'ulid'
import type { Capability } from '../../domain/capability.ts'
import { apiKeyInfo, type ApiKeyInfo, type ApiKeyRow, type ApiKeyStore, type KeyForVerification } from '../api-keys.ts'
import type { Async } from '../contract.ts'
import type { CursorCodec } from '../cursor.ts'
import { afterKey, toPage, type PageQuery } from '../paging.ts'
import type { PgAuthEpoch } from './auth-epoch.ts'
import type { PgDb } from './db.ts'
import { num, numOrNull } from './rows.ts'

const columns = 'id, org_id, name, prefix, hash, capabilities, created_at, expires_at, revoked_at, last_used_at'

/** The row with its int8 columns as numbers, as SQLite answers it. */
const row = (r: Record<string, unknown>): ApiKeyRow => ({
  ...(r as ApiKeyRow),
  created_at: num(r.created_at),
  expires_at: numOrNull(r.expires_at),
  revoked_at: numOrNull(r.revoked_at),
  last_used_at: numOrNull(r.last_used_at),
})

export function createPgApiKeyStore(pg: PgDb, codec: CursorCodec, epoch: PgAuthEpoch): Async<ApiKeyStore> {
  const { sql } = pg
  const verified = epoch.cache<string, KeyForVerification>()
  const cols = sql.unsafe(columns)

  return {
    async create(input: {
      orgId: string
      name: string
      prefix: string
      hash: string
      capabilities: Capability[]
      expiresAt?: number | null
    }): Promise<ApiKeyInfo> {
      const now = Date.now()
      const caps = JSON.stringify(input.capabilities)
      const [r] = await sql`INSERT INTO api_keys (id, org_id, name, prefix, hash, capabilities, created_at, expires_at)
        VALUES (${ulid(now)}, ${input.orgId}, ${input.name}, ${input.prefix}, ${input.hash}, ${caps}, ${now},
          ${input.expiresAt ?? null})
        RETURNING ${cols}`
      return apiKeyInfo(row(r))
    },
    async forVerification(prefix: string): Promise<KeyForVerification | null> {
      const cached = verified.get(prefix)
      if (cached) return cached
      const since = verified.mark()
      const [r] = await sql`SELECT ${cols} FROM api_keys WHERE prefix = ${prefix}`
      if (!r) return null
      const found = { ...apiKeyInfo(row(r)), hash: r.hash as string }
      verified.set(prefix, found, since)
      return found
    },
    refreshAuthCaches: epoch.refresh,
    async markUsed(key: { id: string; lastUsedAt: number | null }, now = Date.now()) {
      await sql`UPDATE api_keys SET last_used_at = ${now} WHERE id = ${key.id}`
      key.lastUsedAt = now
    },
    async page(orgId: string, q: PageQuery) {
      const listing = `api-keys:${orgId}`
      const after = afterKey(codec, listing, q, ['string'])
      // No '\uffff' sentinel for the first page as SQLite has: under a linguistic collation it need not sort last.
      const rows = after
        ? await sql`SELECT ${cols} FROM api_keys WHERE org_id = ${orgId} AND id < ${after[0]}
            ORDER BY id DESC LIMIT ${q.limit + 1}`
        : await sql`SELECT ${cols} FROM api_keys WHERE org_id = ${orgId} ORDER BY id DESC LIMIT ${q.limit + 1}`
      return toPage(codec, listing, rows.map(row), q.limit, (r) => [r.id], apiKeyInfo)
    },
    async revoke(orgId: string, id: string): Promise<ApiKeyInfo | null> {
      const [r] = await sql`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${Date.now()})
        WHERE org_id = ${orgId} AND id = ${id} RETURNING ${cols}`
      return r ? apiKeyInfo(row(r)) : null
    },
    async listAll() {
      // COLLATE "C": SQLite's byte order whatever the database's collation (org ids are free-form).
      const rows = await sql`SELECT ${cols} FROM api_keys ORDER BY org_id COLLATE "C", id COLLATE "C"`
      return rows.map((r: Record<string, unknown>) => apiKeyInfo(row(r)))
    },
  }
}
