// The auth epoch: the counter moves, by trigger, on exactly the changes that can take access away, on both
// dialects, and the caches built on it hold only while it stands still.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: auth epoch', (name) => {
  const d = useDialect(name)
  const epoch = () => d().scalar('SELECT n FROM auth_epoch WHERE id = 1')
  let n = 0
  const key = (orgId: string) => {
    n++
    return d().repos.apiKeys.create({ orgId, name: 'k', prefix: `p${n}`, hash: 'h', capabilities: ['read'] })
  }

  it('starts at 0 and stands still while organisations, sessions and keys are created and keys are used', async () => {
    expect(await epoch()).toBe(0)
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    await d().repos.apiKeys.markUsed({ id: k.id, lastUsedAt: null })
    await d().repos.sessions.setLive((await d().tenant()).sessionId, { status: 'connected' })
    expect(await epoch()).toBe(0)
  })

  it('moves by one when a key is revoked, and again on a repeated revoke', async () => {
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    const before = (await epoch())!
    await d().repos.apiKeys.revoke(orgId, k.id)
    expect(await epoch()).toBe(before + 1)
    await d().repos.apiKeys.revoke(orgId, k.id)
    expect(await epoch()).toBe(before + 2)
  })

  it('stands still when a revoke finds no key', async () => {
    const { orgId } = await d().tenant()
    const before = await epoch()
    expect(await d().repos.apiKeys.revoke(orgId, 'nope')).toBeNull()
    expect(await epoch()).toBe(before)
  })

  it('moves when a key is re-scoped, expired early, moved or deleted', async () => {
    const { orgId } = await d().tenant()
    const other = await d().tenant()
    const k = await key(orgId)
    const before = (await epoch())!
    await d().exec('UPDATE api_keys SET capabilities = ? WHERE id = ?', '["admin"]', k.id)
    await d().exec('UPDATE api_keys SET expires_at = ? WHERE id = ?', 1, k.id)
    await d().exec('UPDATE api_keys SET org_id = ? WHERE id = ?', other.orgId, k.id)
    await d().exec('DELETE FROM api_keys WHERE id = ?', k.id)
    expect(await epoch()).toBe(before + 4)
  })

  it('moves when a session is deleted, once per session', async () => {
    const { orgId, sessionId } = await d().tenant()
    const before = (await epoch())!
    await d().repos.sessions.delete(orgId, sessionId)
    expect(await epoch()).toBe(before + 1)
  })

  it('moves for the organisation and for each of its keys and sessions when an organisation is deleted', async () => {
    const { orgId } = await d().tenant()
    await key(orgId)
    await key(orgId)
    const before = (await epoch())!
    await d().exec('DELETE FROM orgs WHERE id = ?', orgId)
    expect(await epoch()).toBe(before + 4)
  })

  it('refresh empties the caches when the counter moved and keeps them while it stands still', async () => {
    const { authEpoch } = d().repos
    const cache = authEpoch.cache<string, number>()
    await authEpoch.refresh()
    cache.set('a', 1)
    await authEpoch.refresh()
    expect(cache.get('a')).toBe(1)
    const { orgId } = await d().tenant()
    await d().repos.apiKeys.revoke(orgId, (await key(orgId)).id)
    await authEpoch.refresh()
    expect(cache.get('a')).toBeUndefined()
  })

  it('a key revoked by another connection fails verification after the next refresh', async () => {
    const { apiKeys } = d().repos
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    await apiKeys.refreshAuthCaches()
    expect((await apiKeys.forVerification(k.prefix))?.revokedAt).toBeNull()
    await d().exec('UPDATE api_keys SET revoked_at = ? WHERE id = ?', 42, k.id)
    expect((await apiKeys.forVerification(k.prefix))?.revokedAt).toBeNull()
    await apiKeys.refreshAuthCaches()
    expect((await apiKeys.forVerification(k.prefix))?.revokedAt).toBe(42)
  })

  it('a value read while another request saw the counter move is not cached: it may predate the change', async () => {
    // The PostgreSQL key and ownership lookups answer asynchronously: a key row read before a revocation can
    // come back after a concurrent request already emptied the caches for it, and must not be cached then.
    const { authEpoch, apiKeys } = d().repos
    const { orgId } = await d().tenant()
    const cache = authEpoch.cache<string, number>()
    await authEpoch.refresh()
    const since = cache.mark()
    await apiKeys.revoke(orgId, (await key(orgId)).id)
    await authEpoch.refresh() // another request, while the read that took `since` is out
    cache.set('a', 1, since)
    expect(cache.get('a')).toBeUndefined()
    cache.set('a', 2, cache.mark())
    expect(cache.get('a')).toBe(2)
  })
})
