// Mints an API key straight through the synchronous SQLite store, for seeding tests (the gateway itself mints
// through the async repositories: src/bootstrap.ts createKey).
import { mintApiKey } from '../../src/auth/api-key.ts'
import type { CreatedKey } from '../../src/bootstrap.ts'
import type { Capability } from '../../src/domain/capability.ts'
import type { Stores } from '../../src/store/index.ts'

export function mintKey(
  stores: Pick<Stores, 'apiKeys'>,
  input: { orgId: string; name: string; capabilities: Capability[]; expiresAt?: number | null },
): CreatedKey {
  const minted = mintApiKey()
  const row = stores.apiKeys.create({ ...input, prefix: minted.prefix, hash: minted.hash })
  return { id: row.id, key: minted.key, orgId: row.orgId, capabilities: row.capabilities }
}
