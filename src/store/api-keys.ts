// API keys repository: rows hold the prefix and the secret's hash, never the key.
import { ulid } from 'ulid'
import type { Capability } from '../domain/capability.ts'
import type { AuthEpoch } from './auth-epoch.ts'
import type { CursorCodec } from './cursor.ts'
import type { Db } from './db.ts'
import { afterKey, toPage, type PageQuery } from './paging.ts'

/** An api_keys row as SQLite answers it (PostgreSQL's repository converts its rows to this). */
export type ApiKeyRow = {
  id: string
  org_id: string
  name: string
  prefix: string
  hash: string
  capabilities: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
}

/** What the API shows of a key (never the secret or its hash). */
export type ApiKeyInfo = {
  id: string
  orgId: string
  name: string
  prefix: string
  capabilities: Capability[]
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
}

type Row = ApiKeyRow

export const apiKeyInfo = (r: Row): ApiKeyInfo => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  prefix: r.prefix,
  capabilities: JSON.parse(r.capabilities) as Capability[],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
})

const info = apiKeyInfo

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>

/** A key row as verification needs it: what the API shows plus the secret's hash. */
export type KeyForVerification = ApiKeyInfo & { hash: string }

export function createApiKeyStore(db: Db, codec: CursorCodec, epoch: AuthEpoch) {
  const { sqlite } = db
  const verified = epoch.cache<string, KeyForVerification>()
  const insert = sqlite.query<Row, [string, string, string, string, string, string, number, number | null]>(
    `INSERT INTO api_keys (id, org_id, name, prefix, hash, capabilities, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const byPrefix = sqlite.query<Row, [string]>('SELECT * FROM api_keys WHERE prefix = ?')
  const page = sqlite.query<Row, [string, string, number]>(
    'SELECT * FROM api_keys WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
  )
  const revoke = sqlite.query<Row, [number, string, string]>(
    'UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE org_id = ? AND id = ? RETURNING *',
  )
  const used = sqlite.query<null, [number, string]>('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
  const all = sqlite.query<Row, []>('SELECT * FROM api_keys ORDER BY org_id, id')

  return {
    create(input: {
      orgId: string
      name: string
      prefix: string
      hash: string
      capabilities: Capability[]
      expiresAt?: number | null
    }): ApiKeyInfo {
      const now = Date.now()
      const caps = JSON.stringify(input.capabilities)
      return info(
        insert.get(ulid(now), input.orgId, input.name, input.prefix, input.hash, caps, now, input.expiresAt ?? null)!,
      )
    },
    /**
     * The stored row for a prefix, with its hash, for verification only. Served from memory while the auth epoch
     * stands still (call `refreshAuthCaches` first on every request); rows are cached only when found.
     */
    forVerification(prefix: string): KeyForVerification | null {
      const cached = verified.get(prefix)
      if (cached) return cached
      const r = byPrefix.get(prefix)
      if (!r) return null
      const row = { ...info(r), hash: r.hash }
      verified.set(prefix, row)
      return row
    },
    /** Re-reads the auth epoch: any change that can take access away (any process) empties the auth caches. */
    refreshAuthCaches: epoch.refresh,
    /** Records use (the row's cached copy too, so the coarse once-a-minute write keeps its pace). */
    markUsed(row: { id: string; lastUsedAt: number | null }, now = Date.now()) {
      used.run(now, row.id)
      row.lastUsedAt = now
    },
    page(orgId: string, q: PageQuery) {
      const listing = `api-keys:${orgId}`
      const after = afterKey(codec, listing, q, ['string'])
      const rows = page.all(orgId, (after?.[0] as string | undefined) ?? '\uffff', q.limit + 1)
      return toPage(codec, listing, rows, q.limit, (r) => [r.id], info)
    },
    /** Revokes (idempotently); null when no such key in the org. */
    revoke(orgId: string, id: string): ApiKeyInfo | null {
      const r = revoke.get(Date.now(), orgId, id)
      return r ? info(r) : null
    },
    listAll: () => all.all().map(info),
  }
}
