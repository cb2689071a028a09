// Webhooks repository: the same answers on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { waitFor } from '../../helpers/wait.ts'
import { dialects, useDialect } from './dialects.ts'
import { append, readable } from './outbox.ts'

describe.each(dialects)('%s: webhooks', (name) => {
  const d = useDialect(name)
  const input = { url: 'https://example.com/hook', events: ['message.*'], sessionIds: ['ses_1'], description: 'd' }

  it('create answers the webhook without its secret; target has the secret and starts at the head', async () => {
    const { orgId } = await d().tenant()
    const head = await append(d(), { orgId })
    await readable(d(), head.seq)
    const { webhooks } = d().repos
    const before = Date.now()
    const w = await webhooks.create(orgId, input, 'whsec_one')
    expect(w).toEqual({
      id: w.id,
      orgId,
      url: 'https://example.com/hook',
      events: ['message.*'],
      sessionIds: ['ses_1'],
      enabled: true,
      description: 'd',
      disabledReason: null,
      previousSecretExpiresAt: null,
      createdAt: w.createdAt,
      updatedAt: w.createdAt,
    })
    expect(w.id).toStartWith('wh_')
    expect(w.createdAt).toBeGreaterThanOrEqual(before)
    expect(await webhooks.target(w.id)).toEqual({ ...w, secret: 'whsec_one', previousSecret: null, hwm: head.seq })
    expect(await webhooks.get(orgId, w.id)).toEqual(w)
    expect(await webhooks.count(orgId)).toBe(1)
  })

  it('createWithin creates up to the cap and then answers null, creating nothing', async () => {
    const { orgId } = await d().tenant()
    const other = await d().tenant()
    const { webhooks } = d().repos
    await webhooks.create(other.orgId, input, 'whsec_other') // another organisation's does not count
    expect((await webhooks.createWithin(orgId, input, 'whsec_1', 2))?.orgId).toBe(orgId)
    expect((await webhooks.createWithin(orgId, input, 'whsec_2', 2))?.orgId).toBe(orgId)
    expect(await webhooks.createWithin(orgId, input, 'whsec_3', 2)).toBeNull()
    expect(await webhooks.count(orgId)).toBe(2)
  })

  it("get, update, rotate and delete answer null (or false) for another organisation's webhook", async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    const { webhooks } = d().repos
    const w = await webhooks.create(a.orgId, input, 'whsec_one')
    expect(await webhooks.get(b.orgId, w.id)).toBeNull()
    expect(await webhooks.update(b.orgId, w.id, { url: 'https://evil.example/' })).toBeNull()
    expect(await webhooks.rotate(b.orgId, w.id, 'whsec_evil', Date.now() + 1000)).toBeNull()
    expect(await webhooks.delete(b.orgId, w.id)).toBe(false)
    expect(await webhooks.target(w.id)).toMatchObject({ url: input.url, secret: 'whsec_one' })
  })

  it('page lists by id, newest first, with a cursor to the next page', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    const made = []
    for (let i = 0; i < 3; i++) made.push(await webhooks.create(orgId, { ...input, description: `n${i}` }, 's'))
    // Ids are ULIDs: newest first, and within one millisecond by id.
    const byId = [...made].sort((x, y) => (x.id < y.id ? 1 : -1))
    const first = await webhooks.page(orgId, { limit: 2 })
    expect(first.data).toEqual([byId[0]!, byId[1]!])
    const second = await webhooks.page(orgId, { limit: 2, cursor: first.nextCursor! })
    expect(second).toEqual({ data: [byId[2]!], nextCursor: null })
  })

  it('update applies a partial change; disabling keeps the mark, re-enabling moves it to the head', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    const w = await webhooks.create(orgId, input, 's')
    const changed = await webhooks.update(orgId, w.id, { url: 'https://example.com/2', sessionIds: null })
    expect(changed).toMatchObject({ url: 'https://example.com/2', sessionIds: null, events: ['message.*'] })
    const mark = (await webhooks.target(w.id))!.hwm
    expect(await webhooks.update(orgId, w.id, { enabled: false })).toMatchObject({ enabled: false })
    const e = await append(d(), { orgId })
    await readable(d(), e.seq)
    expect((await webhooks.target(w.id))!.hwm).toBe(mark)
    expect(await webhooks.update(orgId, w.id, { enabled: true })).toMatchObject({ enabled: true })
    expect((await webhooks.target(w.id))!.hwm).toBe(e.seq)
  })

  it('rotate keeps the previous secret until the grace time', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    const w = await webhooks.create(orgId, input, 'whsec_old')
    const r = await webhooks.rotate(orgId, w.id, 'whsec_new', 123_456)
    expect(r).toMatchObject({ id: w.id, previousSecretExpiresAt: 123_456 })
    expect(await webhooks.target(w.id)).toMatchObject({ secret: 'whsec_new', previousSecret: 'whsec_old' })
  })

  it('disable records the reason; enabledTargets lists enabled ones and reports unreadable secrets', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    const off = await webhooks.create(orgId, input, 's1')
    const broken = await webhooks.create(orgId, input, 's2')
    const ok = await webhooks.create(orgId, input, 's3')
    await webhooks.disable(off.id, 'the endpoint answered 410 Gone')
    expect(await webhooks.get(orgId, off.id)).toMatchObject({
      enabled: false,
      disabledReason: 'the endpoint answered 410 Gone',
    })
    await d().exec('UPDATE webhooks SET secret = ? WHERE id = ?', 'v2.AAAA', broken.id)
    const unreadable: string[] = []
    const targets = await webhooks.enabledTargets((id) => unreadable.push(id))
    const mine = targets.filter((t) => t.orgId === orgId).map((t) => t.id)
    expect(mine).toEqual([ok.id])
    expect(unreadable).toEqual([broken.id])
  })

  it('delete removes the webhook once', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    const w = await webhooks.create(orgId, input, 's')
    expect(await webhooks.delete(orgId, w.id)).toBe(true)
    expect(await webhooks.delete(orgId, w.id)).toBe(false)
    expect(await webhooks.get(orgId, w.id)).toBeNull()
  })

  it('onChange listeners are told of a change', async () => {
    const { orgId } = await d().tenant()
    const { webhooks } = d().repos
    let changes = 0
    const off = webhooks.onChange(() => changes++)
    await webhooks.create(orgId, input, 's')
    await waitFor('a change', () => changes > 0)
    off()
  })
})
