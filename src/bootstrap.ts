// First start on an empty data dir: org `default` and one admin key, shown once.
import { mintApiKey } from './auth/api-key.ts'
import { capabilities, type Capability } from './domain/capability.ts'
import type { Repos } from './store/contract.ts'

export type CreatedKey = { id: string; key: string; orgId: string; capabilities: Capability[] }

/** Mints a key for an existing org; the returned `key` is the only time it is visible. */
export async function createKey(
  repos: Pick<Repos, 'apiKeys'>,
  input: { orgId: string; name: string; capabilities: Capability[]; expiresAt?: number | null },
): Promise<CreatedKey> {
  const minted = mintApiKey()
  const row = await repos.apiKeys.create({ ...input, prefix: minted.prefix, hash: minted.hash })
  return { id: row.id, key: minted.key, orgId: row.orgId, capabilities: row.capabilities }
}

/** Returns the admin key created for a brand-new data dir, or null when the dir was already set up. */
export async function bootstrap(repos: Pick<Repos, 'apiKeys' | 'orgs'>): Promise<CreatedKey | null> {
  if (!(await repos.orgs.isEmpty())) return null
  await repos.orgs.create('default', 'Default organisation')
  return createKey(repos, { orgId: 'default', name: 'bootstrap admin', capabilities: [...capabilities] })
}

export function bootstrapBanner(k: CreatedKey): string {
  const line = '='.repeat(72)
  return [
    line,
    ' wagate: first start. Created organisation "default" and an admin API key.',
    ' It is shown ONCE and never logged; store it now:',
    '',
    `   ${k.key}`,
    '',
    ' Use it as:  Authorization: Bearer <key>',
    line,
    '',
  ].join('\n')
}
