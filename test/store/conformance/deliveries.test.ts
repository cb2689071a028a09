// Webhook deliveries repository: the same answers on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import type { FanoutEvent } from '../../../src/store/deliveries.ts'
import type { StoredEvent } from '../../../src/store/events.ts'
import { dialects, useDialect, type Dialect } from './dialects.ts'
import { append, readable } from './outbox.ts'

const every = (_: FanoutEvent) => true
const body = (e: StoredEvent) =>
  JSON.stringify({
    id: e.id,
    type: e.type,
    createdAt: e.createdAt,
    orgId: e.orgId,
    sessionId: e.sessionId,
    data: e.data,
  })
/** A claimed job (less its pk) for the first attempt of delivery `id` of `e` to webhook `webhookId`. */
const firstAttempt = (e: StoredEvent, id: string, webhookId: string) => ({
  id,
  webhookId,
  eventId: e.id,
  sessionId: e.sessionId,
  attemptCount: 0,
  body: body(e),
  eventCreatedAt: e.createdAt,
})
const attempt = (statusCode: number) => ({ at: 1_000, statusCode, latencyMs: 5, error: null, response: 'ok' })

describe.each(dialects)('%s: deliveries', (name) => {
  const d = useDialect(name)

  /** A webhook with `n` events after its mark, fanned out; answers the webhook and the events. */
  async function backlog(dialect: Dialect, n: number) {
    const { orgId, sessionId } = await dialect.tenant()
    const w = await dialect.repos.webhooks.create(orgId, { url: 'http://127.0.0.1:1/h', events: ['*'] }, 's')
    const events: StoredEvent[] = []
    for (let i = 0; i < n; i++) events.push(await append(dialect, { orgId, sessionId, data: { i } }))
    if (n) await readable(dialect, events[n - 1]!.seq)
    return { w, orgId, events }
  }

  it('releaseInFlight makes every claimed delivery due again and answers how many', async () => {
    const { w } = await backlog(d(), 2)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId: w.orgId, hwm: 0 }, every, 10)
    expect(await deliveries.claim(w.id, 10)).toHaveLength(2)
    expect(await deliveries.releaseInFlight()).toBe(2)
    expect((await deliveries.page(w.id, 'pending', { limit: 10 })).data).toHaveLength(2)
    const again = await deliveries.claim(w.id, 10)
    await deliveries.unclaim(again.map((j) => j.pk))
  })

  it('fanOut makes one delivery per wanted event after the mark and advances the mark', async () => {
    const { w, orgId, events } = await backlog(d(), 3)
    const { deliveries, webhooks } = d().repos
    const wants = (e: FanoutEvent) => e.id !== events[1]!.id
    expect(await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, wants, 10)).toEqual({
      made: 2,
      hwm: events[2]!.seq,
      full: false,
      jobs: [],
    })
    expect((await webhooks.target(w.id))!.hwm).toBe(events[2]!.seq)
    const listed = (await deliveries.page(w.id, undefined, { limit: 10 })).data
    expect(listed.map((x) => [x.eventId, x.eventType, x.sessionId, x.status, x.attemptCount, x.attempts])).toEqual([
      [events[2]!.id, 'message.received', events[2]!.sessionId, 'pending', 0, []],
      [events[0]!.id, 'message.received', events[0]!.sessionId, 'pending', 0, []],
    ])
    expect(await deliveries.fanOut({ id: w.id, orgId, hwm: events[2]!.seq }, wants, 10)).toEqual({
      made: 0,
      hwm: events[2]!.seq,
      full: false,
      jobs: [],
    })
  })

  it('fanOut says full when it stopped at its batch size', async () => {
    const { w, orgId, events } = await backlog(d(), 3)
    const { deliveries } = d().repos
    expect(await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 2)).toEqual({
      made: 2,
      hwm: events[1]!.seq,
      full: true,
      jobs: [],
    })
    expect(await deliveries.fanOut({ id: w.id, orgId, hwm: events[1]!.seq }, every, 2)).toEqual({
      made: 1,
      hwm: events[2]!.seq,
      full: false,
      jobs: [],
    })
  })

  it('fanOut with claim inserts the first wanted deliveries claimed and answers them with the envelope to POST', async () => {
    const { w, orgId, events } = await backlog(d(), 4)
    const { deliveries } = d().repos
    const wants = (e: FanoutEvent) => e.id !== events[1]!.id
    const r = await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, wants, 10, Date.now(), 2)
    expect([r.made, r.hwm, r.full]).toEqual([3, events[3]!.seq, false])
    const listed = (await deliveries.page(w.id, undefined, { limit: 10 })).data.reverse()
    expect(listed.map((x) => [x.eventId, x.status])).toEqual([
      [events[0]!.id, 'sending'],
      [events[2]!.id, 'sending'],
      [events[3]!.id, 'pending'],
    ])
    expect(r.jobs.map(({ pk: _, ...j }) => j)).toEqual(
      [events[0]!, events[2]!].map((e, i) => firstAttempt(e, listed[i]!.id, w.id)),
    )
    // What fan-out claimed is not claimed again; what it left is.
    expect((await deliveries.claim(w.id, 10)).map((j) => j.eventId)).toEqual([events[3]!.id])
    await deliveries.unclaim(r.jobs.map((j) => j.pk))
  })

  it("a delivery fan-out claimed is recorded by its job's pk", async () => {
    const { w, orgId } = await backlog(d(), 1)
    const { deliveries } = d().repos
    const [job] = (await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10, Date.now(), 5)).jobs
    await deliveries.record([{ pk: job!.pk, status: 'succeeded', nextAttemptAt: 1_000, attempt: attempt(200) }], 2_000)
    expect(await deliveries.get(w.id, job!.id)).toMatchObject({
      status: 'succeeded',
      attemptCount: 1,
      attempts: [attempt(200)],
    })
  })

  it('claim takes due deliveries oldest first with the envelope to POST, once', async () => {
    const { w, orgId, events } = await backlog(d(), 2)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10)
    const jobs = await deliveries.claim(w.id, 10)
    const ids = (await deliveries.page(w.id, undefined, { limit: 10 })).data.map((x) => x.id).reverse()
    expect(jobs.map(({ pk: _, ...j }) => j)).toEqual(events.map((e, i) => firstAttempt(e, ids[i]!, w.id)))
    expect(await deliveries.claim(w.id, 10)).toEqual([])
    expect((await deliveries.page(w.id, 'sending', { limit: 10 })).data).toHaveLength(2)
    await deliveries.unclaim(jobs.map((j) => j.pk))
  })

  it('claim leaves deliveries not yet due, and nextDue says when the first is', async () => {
    const { w, orgId } = await backlog(d(), 1)
    const { deliveries } = d().repos
    const now = Date.now()
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10, now + 60_000)
    expect(await deliveries.claim(w.id, 10, now)).toEqual([])
    expect(await deliveries.nextDue(w.id)).toBe(now + 60_000)
    expect(await deliveries.claim(w.id, 10, now + 60_000)).toHaveLength(1)
    expect(await deliveries.nextDue(w.id)).toBeNull()
  })

  it('record stores each outcome and appends the attempt; unclaim hands a claim back', async () => {
    const { w, orgId } = await backlog(d(), 2)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10)
    const [done, back] = await deliveries.claim(w.id, 10)
    await deliveries.record([{ pk: done!.pk, status: 'succeeded', nextAttemptAt: 1_000, attempt: attempt(200) }], 2_000)
    await deliveries.unclaim([back!.pk])
    const got = await deliveries.get(w.id, done!.id)
    expect(got).toMatchObject({ status: 'succeeded', attemptCount: 1, nextAttemptAt: null, updatedAt: 2_000 })
    expect(got!.attempts).toEqual([attempt(200)])
    expect(await deliveries.get(w.id, back!.id)).toMatchObject({ status: 'pending', attemptCount: 0 })
    const [retry] = await deliveries.claim(w.id, 10)
    expect(retry!.id).toBe(back!.id)
    await deliveries.record([{ pk: retry!.pk, status: 'pending', nextAttemptAt: 9_000, attempt: attempt(500) }])
    const [again] = await deliveries.claim(w.id, 10, 9_000)
    await deliveries.record([{ pk: again!.pk, status: 'failed', nextAttemptAt: 9_000, attempt: attempt(400) }])
    const failed = await deliveries.get(w.id, back!.id)
    expect(failed).toMatchObject({ status: 'failed', attemptCount: 2, nextAttemptAt: null })
    expect(failed!.attempts).toEqual([attempt(500), attempt(400)])
  })

  it('page filters by status, newest first, with a cursor; get answers null for an unknown id', async () => {
    const { w, orgId } = await backlog(d(), 3)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10)
    const all = (await deliveries.page(w.id, undefined, { limit: 10 })).data
    const first = await deliveries.page(w.id, undefined, { limit: 2 })
    expect(first.data).toEqual(all.slice(0, 2))
    expect(await deliveries.page(w.id, undefined, { limit: 2, cursor: first.nextCursor! })).toEqual({
      data: all.slice(2),
      nextCursor: null,
    })
    expect((await deliveries.page(w.id, 'succeeded', { limit: 10 })).data).toEqual([])
    expect(await deliveries.get(w.id, 'dlv_unknown')).toBeNull()
  })

  it('redeliver makes a fresh delivery of the same event; an unknown id answers null', async () => {
    const { w, orgId, events } = await backlog(d(), 1)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10)
    const [first] = (await deliveries.page(w.id, undefined, { limit: 10 })).data
    const again = await deliveries.redeliver(w.id, first!.id, 5_000)
    expect(again).toEqual({
      id: again!.id,
      webhookId: w.id,
      eventId: events[0]!.id,
      eventType: 'message.received',
      sessionId: events[0]!.sessionId,
      status: 'pending',
      attemptCount: 0,
      nextAttemptAt: 5_000,
      attempts: [],
      createdAt: 5_000,
      updatedAt: 5_000,
    })
    expect(again!.id).not.toBe(first!.id)
    expect(await deliveries.redeliver(w.id, 'dlv_unknown')).toBeNull()
  })

  it('deliverToOne appends the event and queues it for that webhook only', async () => {
    const { w, orgId } = await backlog(d(), 0)
    const { deliveries } = d().repos
    const made = await deliveries.deliverToOne(w.id, { type: 'webhook.test', orgId, sessionId: null, data: { t: 1 } })
    expect(made).toMatchObject({ webhookId: w.id, eventType: 'webhook.test', status: 'pending', attemptCount: 0 })
    const [job] = await deliveries.claim(w.id, 10)
    expect(JSON.parse(job!.body!)).toMatchObject({ id: made.eventId, type: 'webhook.test', orgId, data: { t: 1 } })
    await deliveries.unclaim([job!.pk])
  })

  it('a delivery whose event was pruned is claimed with no body', async () => {
    const { w, orgId, events } = await backlog(d(), 1)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10)
    await d().exec('DELETE FROM events WHERE id = ?', events[0]!.id)
    const [job] = await deliveries.claim(w.id, 10)
    expect(job).toMatchObject({ eventId: events[0]!.id, body: null, eventCreatedAt: null })
    await deliveries.unclaim([job!.pk])
  })

  it('prune deletes finished deliveries created before the cut, passing over unfinished ones, and answers how many', async () => {
    await d().exec('DELETE FROM webhook_deliveries')
    const { w, orgId } = await backlog(d(), 4)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10, 1_000)
    const [retry, ok, failed, ok2] = await deliveries.claim(w.id, 10, 1_000)
    const outcome = (pk: number, status: 'pending' | 'succeeded' | 'failed') => ({
      pk,
      status,
      nextAttemptAt: 1_000,
      attempt: attempt(status === 'succeeded' ? 200 : 500),
    })
    await deliveries.record([
      outcome(retry!.pk, 'pending'),
      outcome(ok!.pk, 'succeeded'),
      outcome(failed!.pk, 'failed'),
      outcome(ok2!.pk, 'succeeded'),
    ])
    const again = await deliveries.redeliver(w.id, ok!.id, 5_000)
    // In chunks of 2: the total of all chunks.
    expect(await deliveries.prune(2_000, 2)).toBe(3)
    expect(await deliveries.prune(2_000)).toBe(0)
    const left = (await deliveries.page(w.id, undefined, { limit: 10 })).data
    expect(left.map((x) => [x.id, x.status, x.createdAt])).toEqual([
      [again!.id, 'pending', 5_000],
      [retry!.id, 'pending', 1_000],
    ])
  })

  it('prune walks deliveries in the order they were made: one stamped earlier (a clock stepped back) waits', async () => {
    await d().exec('DELETE FROM webhook_deliveries')
    const { w, orgId } = await backlog(d(), 1)
    const { deliveries } = d().repos
    await deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 10, 5_000)
    const [made] = (await deliveries.page(w.id, undefined, { limit: 10 })).data
    const later = await deliveries.redeliver(w.id, made!.id, 1_000)
    expect(later!.createdAt).toBe(1_000)
    const jobs = await deliveries.claim(w.id, 10, 5_000)
    expect(jobs).toHaveLength(2)
    await deliveries.record(
      jobs.map((j) => ({ pk: j.pk, status: 'succeeded' as const, nextAttemptAt: 5_000, attempt: attempt(200) })),
    )
    expect(await deliveries.prune(2_000)).toBe(0)
    expect(await deliveries.prune(6_000)).toBe(2)
  })
})
