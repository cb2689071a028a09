// Idempotency records: the same answers on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { idempotencyTtlMs } from '../../../src/store/idempotency.ts'
import { dialects, useDialect } from './dialects.ts'

const answer = (status: number, body: object) => ({ bodyHash: `h${status}`, status, response: JSON.stringify(body) })

describe.each(dialects)('%s: idempotency', (name) => {
  const d = useDialect(name)

  it('get answers the remembered response for the same organisation, scope and key', async () => {
    const { idempotency } = d().repos
    await idempotency.put('org_a', 'POST /messages', 'k1', answer(202, { id: 'm1' }), 10_000)
    expect(await idempotency.get('org_a', 'POST /messages', 'k1', 10_001)).toEqual(answer(202, { id: 'm1' }))
  })

  it('get answers null for another organisation, scope or key', async () => {
    const { idempotency } = d().repos
    await idempotency.put('org_b', 's', 'k', answer(200, {}), 10_000)
    expect(await idempotency.get('org_c', 's', 'k', 10_001)).toBeNull()
    expect(await idempotency.get('org_b', 't', 'k', 10_001)).toBeNull()
    expect(await idempotency.get('org_b', 's', 'j', 10_001)).toBeNull()
  })

  it('put on the same key replaces the record and restarts its lifetime', async () => {
    const { idempotency } = d().repos
    await idempotency.put('org_d', 's', 'k', answer(500, { e: 1 }), 10_000)
    await idempotency.put('org_d', 's', 'k', answer(201, { ok: true }), 20_000)
    expect(await idempotency.get('org_d', 's', 'k', 10_000 + idempotencyTtlMs)).toEqual(answer(201, { ok: true }))
    expect(await d().scalar("SELECT count(*) FROM idempotency_keys WHERE org_id = 'org_d'")).toBe(1)
  })

  it('get answers null once the record is 24 hours old', async () => {
    const { idempotency } = d().repos
    await idempotency.put('org_e', 's', 'k', answer(200, {}), 10_000)
    expect(await idempotency.get('org_e', 's', 'k', 10_000 + idempotencyTtlMs - 1)).toEqual(answer(200, {}))
    expect(await idempotency.get('org_e', 's', 'k', 10_000 + idempotencyTtlMs)).toBeNull()
  })

  it('prune deletes the records past their lifetime and keeps the others', async () => {
    const { idempotency } = d().repos
    await idempotency.put('org_f', 's', 'old', answer(200, {}), 1_000_000)
    await idempotency.put('org_f', 's', 'new', answer(200, {}), 1_000_001)
    await idempotency.prune(1_000_000 + idempotencyTtlMs)
    const rows = await d().query("SELECT key FROM idempotency_keys WHERE org_id = 'org_f'")
    expect(rows).toEqual([{ key: 'new' }])
  })
})
