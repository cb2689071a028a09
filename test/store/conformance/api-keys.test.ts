// API keys repository: the same answers, order and cursors on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { AppError } from '../../../src/errors.ts'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: api keys', (name) => {
  const d = useDialect(name)
  let n = 0
  const key = (orgId: string, extra: { expiresAt?: number | null } = {}) => {
    n++
    return d().repos.apiKeys.create({
      orgId,
      name: `key ${n}`,
      prefix: `${name}${n}`,
      hash: `hash-${n}`,
      capabilities: ['read', 'send'],
      ...extra,
    })
  }

  it('create answers what the API shows of the key: capabilities as a list, no hash', async () => {
    const { orgId } = await d().tenant()
    const k = await key(orgId, { expiresAt: 5_000_000_000_000 })
    expect(k).toEqual({
      id: k.id,
      orgId,
      name: `key ${n}`,
      prefix: `${name}${n}`,
      capabilities: ['read', 'send'],
      createdAt: k.createdAt,
      expiresAt: 5_000_000_000_000,
      revokedAt: null,
      lastUsedAt: null,
    })
    expect(typeof k.createdAt).toBe('number')
  })

  it('forVerification answers the row with its hash by prefix, null for an unknown prefix', async () => {
    const { apiKeys } = d().repos
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    expect(await apiKeys.forVerification(k.prefix)).toEqual({ ...k, hash: `hash-${n}` })
    expect(await apiKeys.forVerification('nope')).toBeNull()
  })

  it('page lists the organisation’s keys newest first across pages, with cursors carrying the last id', async () => {
    const { apiKeys, codec } = d().repos
    const { orgId } = await d().tenant()
    const other = await d().tenant()
    const made = []
    for (let i = 0; i < 5; i++) made.push(await key(orgId))
    await key(other.orgId)
    const ids = made
      .map((k) => k.id)
      .sort()
      .reverse()
    const p1 = await apiKeys.page(orgId, { limit: 2 })
    expect(p1.data.map((k) => k.id)).toEqual(ids.slice(0, 2))
    expect(p1.nextCursor).toBe(codec.encode(`api-keys:${orgId}`, [ids[1]!]))
    const p2 = await apiKeys.page(orgId, { limit: 2, cursor: p1.nextCursor! })
    expect(p2.data.map((k) => k.id)).toEqual(ids.slice(2, 4))
    const p3 = await apiKeys.page(orgId, { limit: 2, cursor: p2.nextCursor! })
    expect(p3).toEqual({ data: [made.find((k) => k.id === ids[4])!], nextCursor: null })
  })

  it('page rejects a cursor issued for another organisation’s listing', async () => {
    const { apiKeys } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    await key(a.orgId)
    await key(a.orgId)
    const p1 = await apiKeys.page(a.orgId, { limit: 1 })
    const err = await apiKeys.page(b.orgId, { limit: 1, cursor: p1.nextCursor! }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).errorCode).toBe('validation_error')
    expect((err as AppError).details).toEqual({ cursor: 'not issued for this listing' })
  })

  it('revoke stamps the key once: a second revoke keeps the first time', async () => {
    const { apiKeys } = d().repos
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    const first = await apiKeys.revoke(orgId, k.id)
    expect(first).toEqual({ ...k, revokedAt: first!.revokedAt })
    expect(typeof first!.revokedAt).toBe('number')
    await Bun.sleep(2)
    expect(await apiKeys.revoke(orgId, k.id)).toEqual(first)
  })

  it('revoke answers null for another organisation’s key and leaves it alone', async () => {
    const { apiKeys } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    const k = await key(a.orgId)
    expect(await apiKeys.revoke(b.orgId, k.id)).toBeNull()
    expect((await apiKeys.forVerification(k.prefix))?.revokedAt).toBeNull()
  })

  it('markUsed stores the time and updates the row it was given', async () => {
    const { apiKeys, authEpoch } = d().repos
    const { orgId } = await d().tenant()
    const k = await key(orgId)
    const row = (await apiKeys.forVerification(k.prefix))!
    await apiKeys.markUsed(row, 1_234)
    expect(row.lastUsedAt).toBe(1_234)
    expect(await d().scalar('SELECT last_used_at FROM api_keys WHERE id = ?', k.id)).toBe(1_234)
    await authEpoch.refresh()
    expect((await apiKeys.listAll()).find((x) => x.id === k.id)?.lastUsedAt).toBe(1_234)
  })

  it('listAll lists every organisation’s keys by organisation, then id', async () => {
    const { apiKeys } = d().repos
    const all = await apiKeys.listAll()
    const sorted = [...all].sort((x, y) => (x.orgId === y.orgId ? (x.id < y.id ? -1 : 1) : x.orgId < y.orgId ? -1 : 1))
    expect(all.length).toBe(n)
    expect(all).toEqual(sorted)
  })
})
