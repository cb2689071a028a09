// The outbox's read side: the same answers on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { matcher } from '../../../src/events/patterns.ts'
import { waitFor } from '../../helpers/wait.ts'
import { dialects, useDialect } from './dialects.ts'
import { append, readable } from './outbox.ts'

const all = { matchType: () => true }

describe.each(dialects)('%s: events', (name) => {
  const d = useDialect(name)

  it('maxSeq is 0 for an empty outbox, then the last event appended', async () => {
    expect(await d().repos.events.maxSeq()).toBe(0)
    const { orgId } = await d().tenant()
    const e = await append(d(), { orgId })
    await readable(d(), e.seq)
    expect(await d().repos.events.maxSeq()).toBe(e.seq)
  })

  it('prune deletes the events created before the cut, oldest first, and answers how many', async () => {
    const { orgId } = await d().tenant()
    const { events } = d().repos
    await d().exec('DELETE FROM events')
    await append(d(), { orgId, createdAt: 1_000 })
    await append(d(), { orgId, createdAt: 2_000 })
    const kept = await append(d(), { orgId, createdAt: 5_000 })
    await readable(d(), kept.seq)
    expect(await events.prune(3_000)).toBe(2)
    expect(await events.prune(3_000)).toBe(0)
    expect((await events.scan(orgId, 0, all, 10)).events).toEqual([kept])
  })

  it("scan answers the organisation's events after a position, oldest first, and ends at the head", async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    const e1 = await append(d(), { orgId: a.orgId, sessionId: a.sessionId, data: { i: 1 } })
    await append(d(), { orgId: b.orgId, data: { other: true } })
    const e2 = await append(d(), { orgId: a.orgId, data: { i: 2 } })
    const e3 = await append(d(), { orgId: a.orgId, type: 'session.status', data: { i: 3 } })
    await readable(d(), e3.seq)
    const { events } = d().repos
    expect(await events.scan(a.orgId, 0, all, 10)).toEqual({ events: [e1, e2, e3], lastSeq: e3.seq, more: false })
    expect(await events.scan(a.orgId, e1.seq, all, 10)).toEqual({ events: [e2, e3], lastSeq: e3.seq, more: false })
  })

  it('scan stops at the limit with more set, and resumes after its lastSeq', async () => {
    const { orgId } = await d().tenant()
    const e1 = await append(d(), { orgId })
    const e2 = await append(d(), { orgId })
    const e3 = await append(d(), { orgId })
    await readable(d(), e3.seq)
    const { events } = d().repos
    const page = await events.scan(orgId, 0, all, 2)
    expect(page).toEqual({ events: [e1, e2], lastSeq: e2.seq, more: true })
    expect(await events.scan(orgId, page.lastSeq, all, 2)).toEqual({ events: [e3], lastSeq: e3.seq, more: false })
  })

  it('scan filters by type pattern and session, and moves lastSeq past the events it skipped', async () => {
    const { orgId, sessionId } = await d().tenant()
    const wanted = await append(d(), { orgId, sessionId, type: 'message.received' })
    await append(d(), { orgId, sessionId, type: 'session.status' })
    await append(d(), { orgId, sessionId: 'ses_other', type: 'message.updated' })
    const last = await append(d(), { orgId, sessionId, type: 'chat.updated' })
    await readable(d(), last.seq)
    const r = await d().repos.events.scan(orgId, 0, { matchType: matcher(['message.*']), sessionId }, 10)
    expect(r).toEqual({ events: [wanted], lastSeq: last.seq, more: false })
  })

  it("seqOf answers the seq of the organisation's event, null for another's or an unknown id", async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    const e = await append(d(), { orgId: a.orgId })
    const { events } = d().repos
    expect(await events.seqOf(a.orgId, e.id)).toBe(e.seq)
    expect(await events.seqOf(b.orgId, e.id)).toBeNull()
    expect(await events.seqOf(a.orgId, 'evt_unknown')).toBeNull()
  })

  it('onCommitted calls a listener after a commit that appended an event, until it unsubscribes', async () => {
    const { events, webhooks, deliveries } = d().repos
    const { orgId } = await d().tenant()
    const w = await webhooks.create(orgId, { url: 'http://127.0.0.1:1/h', events: ['*'] }, 'whsec_a')
    const test = { type: 'webhook.test', orgId, sessionId: null, data: {} }
    let woken = 0
    const off = events.onCommitted(() => woken++)
    await deliveries.deliverToOne(w.id, test)
    await waitFor('a wake-up', () => woken > 0)
    off()
    const before = woken
    await deliveries.deliverToOne(w.id, test)
    await Bun.sleep(100)
    expect(woken).toBe(before)
  })
})
