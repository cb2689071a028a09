// The outbox on PostgreSQL with several writers and several nodes: readers and fan-out never pass an event whose
// transaction commits later, two nodes never fan an event out twice nor claim one delivery twice, a dead node's
// claims come back after they expire, and a commit on one node wakes another's listeners.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import type { TransactionSQL } from 'bun'
import { createSealer } from '../../src/domain/sealer.ts'
import { createCursorCodec, cursorKeyOf } from '../../src/store/cursor.ts'
import type { FanoutEvent, Job } from '../../src/store/deliveries.ts'
import type { StoredEvent } from '../../src/store/events.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { createPgDeliveryStore, type PgDeliveryOptions } from '../../src/store/pg/deliveries.ts'
import { appendPg, createPgEventStore } from '../../src/store/pg/events.ts'
import { createPgWebhookStore } from '../../src/store/pg/webhooks.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

const key = new Uint8Array(32).fill(3)
const codec = createCursorCodec(cursorKeyOf(key))
const all = { matchType: () => true }
const every = (_: FanoutEvent) => true

let tdb: TestDatabase
const pools: PgDb[] = []

/** One node: its own pool on the test database and its own repositories. */
function node(opts: PgDeliveryOptions = {}) {
  const pg = openPg(tdb.url, { max: 4 })
  pools.push(pg)
  const events = createPgEventStore(pg)
  const webhooks = createPgWebhookStore(pg, codec, createSealer(key), events)
  const deliveries = createPgDeliveryStore(pg, codec, events, opts)
  return { pg, events, webhooks, deliveries }
}

let a: ReturnType<typeof node>
let org = 0

beforeAll(async () => {
  tdb = await createTestDatabase()
  a = node()
  await migratePg(a.pg.sql)
})
afterAll(async () => {
  for (const p of pools) await p.close()
  await tdb?.drop()
})

/** A fresh organisation, so tests never read each other's events. */
async function tenant() {
  const orgId = `org_${++org}`
  await a.pg.sql`INSERT INTO orgs (id, name) VALUES (${orgId}, ${orgId})`
  return orgId
}

const seqsOf = async (ids: string[]) =>
  (await a.pg.sql`SELECT seq FROM events WHERE id IN ${a.pg.sql(ids)}`).map((r: { seq: string }) => Number(r.seq))

const event = (orgId: string, i: number) => ({ type: 'message.received', orgId, sessionId: null, data: { i } })

/**
 * Scans until `n` events came, as readers do: any writing transaction on the server, even in another database,
 * holds events committed after it back for a moment.
 */
async function readAll(orgId: string, after: number, n: number) {
  const events: StoredEvent[] = []
  let lastSeq = after
  await waitFor(`${n} events`, async () => {
    const r = await a.events.scan(orgId, lastSeq, all, 100)
    events.push(...r.events)
    lastSeq = r.lastSeq
    return events.length >= n
  })
  return { events, lastSeq }
}

/** Fans out pass after pass (as the dispatcher does) until the mark reaches `seq`; answers what was made. */
async function fanUntil(w: { id: string }, orgId: string, seq: number, store = a) {
  let made = 0
  let hwm = 0
  await waitFor(`the mark at ${seq}`, async () => {
    const r = await store.deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 1000)
    made += r.made
    hwm = r.hwm
    return hwm === seq
  })
  return { made, hwm }
}

/** A transaction held open until `release()`: `step` runs inside it, in order. */
function openTransaction(pg: PgDb) {
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  const steps: ((tx: TransactionSQL) => Promise<unknown>)[] = []
  let wakeStep: (() => void) | null = null
  let done = false
  const results: unknown[] = []
  const finished = pg.sql.begin(async (tx) => {
    for (let i = 0; ; i++) {
      while (i >= steps.length && !done) await new Promise<void>((r) => (wakeStep = r))
      if (i >= steps.length) break
      results[i] = await steps[i]!(tx)
    }
    await released
  })
  const run = async <T>(step: (tx: TransactionSQL) => Promise<T>): Promise<T> => {
    const i = steps.push(step) - 1
    wakeStep?.()
    await waitFor('the step to run', () => i in results, 10_000, 2)
    return results[i] as T
  }
  return {
    run,
    async commit() {
      done = true
      wakeStep?.()
      release()
      await finished
    },
  }
}

describe('PostgreSQL outbox: commit order', () => {
  it('a reader does not pass a later seq committed first; it reads the earlier one once it commits', async () => {
    const orgId = await tenant()
    const t1 = openTransaction(a.pg)
    const t2 = openTransaction(a.pg)
    const e1 = await t1.run((tx) => appendPg(tx, event(orgId, 1)))
    const e2 = await t2.run((tx) => appendPg(tx, event(orgId, 2)))
    expect(e2!.seq).toBeGreaterThan(e1!.seq)
    await t2.commit()
    const first = await a.events.scan(orgId, 0, all, 10)
    expect(first).toEqual({ events: [], lastSeq: 0, more: false })
    await t1.commit()
    const second = await readAll(orgId, first.lastSeq, 2)
    expect(second.events.map((e) => e.data)).toEqual([{ i: 1 }, { i: 2 }])
    expect(second.lastSeq).toBe(e2!.seq)
  })

  it('an older transaction that takes a higher seq and commits first is read; the lower seq follows later', async () => {
    const orgId = await tenant()
    const older = openTransaction(a.pg)
    await older.run((tx) => tx`SELECT pg_current_xact_id()`) // its transaction id comes first
    const newer = openTransaction(a.pg)
    const low = await newer.run((tx) => appendPg(tx, event(orgId, 1)))
    const high = await older.run((tx) => appendPg(tx, event(orgId, 2)))
    expect(high!.seq).toBeGreaterThan(low!.seq)
    await older.commit()
    const first = await readAll(orgId, 0, 1)
    expect(first.events.map((e) => e.seq)).toEqual([high!.seq])
    await newer.commit()
    const second = await readAll(orgId, first.lastSeq, 1)
    expect(second.events.map((e) => e.seq)).toEqual([low!.seq])
    expect(await a.events.scan(orgId, second.lastSeq, all, 10)).toEqual({
      events: [],
      lastSeq: second.lastSeq,
      more: false,
    })
  })

  it('fan-out under the same interleaving makes one delivery per event, none skipped', async () => {
    const orgId = await tenant()
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const older = openTransaction(a.pg)
    await older.run((tx) => tx`SELECT pg_current_xact_id()`)
    const newer = openTransaction(a.pg)
    const low = await newer.run((tx) => appendPg(tx, event(orgId, 1)))
    const high = await older.run((tx) => appendPg(tx, event(orgId, 2)))
    await older.commit()
    expect(await fanUntil(w, orgId, high!.seq)).toEqual({ made: 1, hwm: high!.seq })
    await newer.commit()
    expect(await fanUntil(w, orgId, low!.seq)).toEqual({ made: 1, hwm: low!.seq })
    const made = (await a.deliveries.page(w.id, undefined, { limit: 10 })).data
    expect(made.map((d) => d.eventId).sort()).toEqual([low!.id, high!.id].sort())
  })

  it('maxSeq is the last event every reader may pass, not the highest seq committed', async () => {
    const orgId = await tenant()
    const before = await a.events.transaction((append) => append(event(orgId, 0)))
    const t1 = openTransaction(a.pg)
    await t1.run((tx) => appendPg(tx, event(orgId, 1)))
    const after = await a.events.transaction((append) => append(event(orgId, 2)))
    await waitFor(
      'the head at the event before the open transaction',
      async () => (await a.events.maxSeq()) === before!.seq,
    )
    await Bun.sleep(50)
    expect(await a.events.maxSeq()).toBe(before!.seq)
    await t1.commit()
    await waitFor('the head at the last event', async () => (await a.events.maxSeq()) === after!.seq)
  })
})

describe('PostgreSQL outbox: two nodes', () => {
  it('fan-out of one webhook from two nodes at once makes exactly one delivery per event', async () => {
    const orgId = await tenant()
    const b = node()
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const ids = await a.events.transaction(async (append) => {
      const out: string[] = []
      for (let i = 0; i < 300; i++) out.push((await append(event(orgId, i)))!.id)
      return out
    })
    const target = { id: w.id, orgId, hwm: 0 }
    const runs = await Promise.all([
      a.deliveries.fanOut(target, every, 100),
      b.deliveries.fanOut(target, every, 100),
      a.deliveries.fanOut(target, every, 100),
      b.deliveries.fanOut(target, every, 100),
    ])
    const rest = await fanUntil(w, orgId, Math.max(...(await seqsOf(ids))))
    expect(runs.reduce((n, r) => n + r.made, 0) + rest.made).toBe(300)
    const rows = await a.pg.sql`SELECT event_id FROM webhook_deliveries WHERE webhook_id = ${w.id} ORDER BY event_seq`
    expect(rows.map((r: { event_id: string }) => r.event_id)).toEqual(ids)
  })

  it('the fan-out key refuses a second delivery of an event made by fan-out', async () => {
    const orgId = await tenant()
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const e = await a.events.transaction((append) => append(event(orgId, 1)))
    expect((await fanUntil(w, orgId, e!.seq)).made).toBe(1)
    await a.pg.sql`UPDATE webhooks SET hwm = 0 WHERE id = ${w.id}` // a mark moved back must not duplicate
    expect((await fanUntil(w, orgId, e!.seq)).made).toBe(0)
    expect((await a.deliveries.page(w.id, undefined, { limit: 10 })).data).toHaveLength(1)
  })

  it('two nodes claiming the same webhook at once get disjoint deliveries that cover the backlog', async () => {
    const orgId = await tenant()
    const b = node()
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const last = await a.events.transaction(async (append) => {
      for (let i = 0; i < 199; i++) await append(event(orgId, i))
      return append(event(orgId, 199))
    })
    await fanUntil(w, orgId, last!.seq)
    const claims = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? a : b).deliveries.claim(w.id, 60)))
    const pks = claims.flat().map((j) => j.pk)
    expect(pks).toHaveLength(200)
    expect(new Set(pks).size).toBe(200)
    a.deliveries.close()
    b.deliveries.close()
  })

  it("a dead node's claims are claimed again once expired, and its late record is ignored", async () => {
    const orgId = await tenant()
    const dead = node({ claimLeaseMs: 300 })
    const live = node({ claimLeaseMs: 300 })
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const last = await a.events.transaction(async (append) => {
      await append(event(orgId, 1))
      return append(event(orgId, 2))
    })
    await fanUntil(w, orgId, last!.seq)
    const lost = await dead.deliveries.claim(w.id, 10)
    expect(lost).toHaveLength(2)
    dead.deliveries.close() // it dies: its claims are not renewed
    expect(await live.deliveries.claim(w.id, 10)).toEqual([])
    await Bun.sleep(400)
    const taken = await live.deliveries.claim(w.id, 10)
    expect(taken.map((j) => j.pk)).toEqual(lost.map((j) => j.pk))
    expect(taken.map((j) => j.attemptCount)).toEqual([0, 0])
    const attempt = { at: Date.now(), statusCode: 200, latencyMs: 1, error: null, response: null }
    await dead.deliveries.record([{ pk: lost[0]!.pk, status: 'succeeded', nextAttemptAt: 0, attempt }])
    const rows = await a.pg.sql`SELECT status, claimed_by FROM webhook_deliveries WHERE webhook_id = ${w.id}`
    expect(rows.map((r: { status: string; claimed_by: string }) => [r.status, r.claimed_by])).toEqual([
      ['sending', live.deliveries.nodeId],
      ['sending', live.deliveries.nodeId],
    ])
    await live.deliveries.unclaim(taken.map((j) => j.pk))
    live.deliveries.close()
  })

  it("what a dead node's fan-out claimed is claimed again once expired", async () => {
    const orgId = await tenant()
    const dead = node({ claimLeaseMs: 300 })
    const live = node({ claimLeaseMs: 300 })
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const e = await a.events.transaction((append) => append(event(orgId, 1)))
    let lost: Job[] = []
    await waitFor('the fan-out', async () => {
      lost = (await dead.deliveries.fanOut({ id: w.id, orgId, hwm: 0 }, every, 100, Date.now(), 10)).jobs
      return lost.length === 1
    })
    expect(lost[0]!.eventId).toBe(e!.id)
    dead.deliveries.close() // it dies: its claims are not renewed
    expect(await live.deliveries.claim(w.id, 10)).toEqual([])
    await Bun.sleep(400)
    const taken = await live.deliveries.claim(w.id, 10)
    expect(taken.map((j) => j.pk)).toEqual([lost[0]!.pk])
    await live.deliveries.unclaim(taken.map((j) => j.pk))
    live.deliveries.close()
  })

  it('a live node renews its claims: nobody takes them after the lease', async () => {
    const orgId = await tenant()
    const holder = node({ claimLeaseMs: 300 })
    const other = node({ claimLeaseMs: 300 })
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const e = await a.events.transaction((append) => append(event(orgId, 1)))
    await fanUntil(w, orgId, e!.seq)
    const held = await holder.deliveries.claim(w.id, 10)
    expect(held).toHaveLength(1)
    await Bun.sleep(700)
    expect(await other.deliveries.claim(w.id, 10)).toEqual([])
    await holder.deliveries.unclaim(held.map((j) => j.pk))
    holder.deliveries.close()
  })

  it("releaseInFlight at a node's start frees its own and expired claims, never a live node's", async () => {
    const orgId = await tenant()
    const w = await a.webhooks.create(orgId, { url: 'http://127.0.0.1:1/hook', events: ['*'] }, 'whsec_x')
    const last = await a.events.transaction(async (append) => {
      await append(event(orgId, 0))
      await append(event(orgId, 1))
      return append(event(orgId, 2))
    })
    await fanUntil(w, orgId, last!.seq)
    const restarted = node({ nodeId: 'node_restarted' })
    const other = node({ nodeId: 'node_other' })
    const expired = node({ nodeId: 'node_gone', claimLeaseMs: 1 })
    expect(await restarted.deliveries.claim(w.id, 1)).toHaveLength(1)
    expect(await other.deliveries.claim(w.id, 1)).toHaveLength(1)
    expect(await expired.deliveries.claim(w.id, 1)).toHaveLength(1)
    expired.deliveries.close()
    await Bun.sleep(20)
    const again = node({ nodeId: 'node_restarted' })
    expect(await again.deliveries.releaseInFlight()).toBe(2)
    const rows = await a.pg.sql`
      SELECT status, claimed_by FROM webhook_deliveries WHERE webhook_id = ${w.id} ORDER BY status, claimed_by`
    expect(rows.map((r: { status: string; claimed_by: string | null }) => [r.status, r.claimed_by])).toEqual([
      ['pending', null],
      ['pending', null],
      ['sending', 'node_other'],
    ])
    for (const n of [restarted, other]) n.deliveries.close()
  })

  it("a commit on one node wakes another node's listeners through NOTIFY", async () => {
    const orgId = await tenant()
    const b = node()
    let woken = 0
    const off = b.events.onCommitted(() => woken++)
    await b.events.listening()
    const start = woken
    await a.pg.sql.begin((tx) => appendPg(tx, event(orgId, 1)))
    await waitFor('the other node to wake', () => woken > start)
    off()
  })
})
