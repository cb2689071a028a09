// The pull API: the organisation's events in commit order, a cursor that always moves forward, filters,
// tenancy, and retention.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import { createPruner } from '../../src/events/pruner.ts'
import { createLogger } from '../../src/log.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let http: ReturnType<EventsRig['http']>
beforeEach(async () => {
  rig = await eventsRig()
  http = rig.http()
})
afterEach(() => rig.close())

const pull = async (query = '', token?: string) => {
  const res = await http.request(`/api/v1/events${query}`, token ? { token } : {})
  return { status: res.status, body: (await res.json()) as any }
}

/** Polls until caught up, following nextCursor; returns the ids seen and the last cursor. */
async function drain(cursor: string | null, extra = '') {
  const ids: string[] = []
  for (;;) {
    const { body } = await pull(`?limit=3${cursor ? `&after=${cursor}` : ''}${extra}`)
    ids.push(...body.data.map((e: { id: string }) => e.id))
    cursor = body.nextCursor
    if (!body.hasMore) return { ids, cursor }
  }
}

it('serves the events in commit order, each exactly once across pages', async () => {
  const events = rig.emit(10)
  const { ids } = await drain(null)
  expect(ids).toEqual(events.map((e) => e.id))
})

it('serves the envelope: id, type, createdAt, orgId, sessionId, data', async () => {
  const [e] = rig.emit(1, { data: () => ({ hello: 'world' }) })
  const { body } = await pull()
  expect(body.data[0]).toEqual({
    id: e!.id,
    type: 'message.received',
    createdAt: e!.createdAt,
    orgId: 'acme',
    sessionId: 'ses_1',
    data: { hello: 'world' },
  })
})

it('always returns a cursor, so a poller at the head picks up later events', async () => {
  rig.emit(2)
  const first = await drain(null)
  const idle = await pull(`?after=${first.cursor}`)
  expect(idle.body.data).toEqual([])
  const [late] = rig.emit(1)
  const next = await pull(`?after=${idle.body.nextCursor}`)
  expect(next.body.data.map((e: { id: string }) => e.id)).toEqual([late!.id])
})

it('filters by type pattern and session, moving the cursor past what it skipped', async () => {
  rig.emit(1, { type: 'chat.updated' })
  const [m] = rig.emit(1, { type: 'message.received', sessionId: 's2' })
  rig.emit(5, { type: 'message.sent', sessionId: 's1' })
  const { ids, cursor } = await drain(null, '&types=message.*,session.status&sessionId=s2')
  expect(ids).toEqual([m!.id])
  rig.emit(3, { type: 'chat.updated' })
  expect((await pull(`?after=${cursor}&types=message.*`)).body).toMatchObject({ data: [], hasMore: false })
})

it('rejects an invalid type pattern with 400', async () => {
  expect((await pull('?types=message.**')).status).toBe(400)
})

it("never serves another organisation's events, nor accepts its cursor", async () => {
  rig.emit(3, { orgId: 'other' })
  const [mine] = rig.emit(1)
  const { body } = await pull()
  expect(body.data.map((e: { id: string }) => e.id)).toEqual([mine!.id])
  const theirs = await pull('', http.key(['read'], 'other'))
  const mixed = await pull(`?after=${theirs.body.nextCursor}`)
  expect(mixed.status).toBe(400)
})

it('never serves webhook.test events', async () => {
  const w = rig.webhook({ url: 'http://127.0.0.1:9/hook' })
  await http.request(`/api/v1/webhooks/${w.id}:test`, { method: 'POST' })
  expect((await pull()).body.data).toEqual([])
})

it('prunes the expired events, oldest first, up to the first one still kept', () => {
  const day = 86_400_000
  const t0 = 1_800_000_000_000
  const append = (createdAt: number) =>
    rig.stores.events.append({ type: 'message.received', orgId: 'acme', sessionId: 'ses_1', data: {} }, createdAt)!
  const [a, b, c, d] = [append(t0), append(t0 + day), append(t0 + 3 * day), append(t0 + 2 * day)]
  expect(rig.stores.events.prune(t0 + 2 * day + 1, 1)).toBe(2) // in chunks of one
  // d expired too, but waits for c, which was committed before it and is still kept.
  expect(rig.stores.events.prune(t0 + 2 * day + 1, 1)).toBe(0)
  const left = rig.db.sqlite.query<{ seq: number }, []>('SELECT seq FROM events ORDER BY seq').all()
  expect(left.map((r) => r.seq)).toEqual([c.seq, d.seq])
  expect([a.seq, b.seq].every((s) => s < c.seq)).toBe(true)
})

it('prunes events older than the retention period', async () => {
  const [old] = rig.emit(1)
  const pruner = createPruner({
    events: rig.repos.events,
    deliveries: rig.repos.deliveries,
    retentionMs: 7 * 86_400_000,
    logger: createLogger('silent'),
  })
  expect((await pruner.runOnce(old!.createdAt + 7 * 86_400_000 - 1)).events).toBe(0)
  expect((await pruner.runOnce(old!.createdAt + 7 * 86_400_000 + 1)).events).toBe(1)
  expect((await pull()).body.data).toEqual([])
})
