// Events out across nodes on one PostgreSQL database: two dispatchers deliver a backlog to one receiver with each
// delivery made exactly once, and a live stream on one node is woken by a commit on another (LISTEN/NOTIFY).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test'
import { createDispatcher, type Dispatcher } from '../../src/events/dispatcher.ts'
import { createSseHub } from '../../src/events/sse.ts'
import { createLogger } from '../../src/log.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { appendPg, createPgEventStore } from '../../src/store/pg/events.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { createPgRepos } from '../../src/store/pg/index.ts'
import { pgRepos } from '../../src/cluster/serve.ts'
import { loopbackEgress } from '../helpers/lookup.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'
import { startReceiver } from './receiver.ts'

const key = new Uint8Array(32).fill(9)
let tdb: TestDatabase
const pools: PgDb[] = []
const closers: (() => void)[] = []
const dispatchers: Dispatcher[] = []
const receivers: ReturnType<typeof startReceiver>[] = []

/** One node: its own pool and repositories on the shared database. */
function node(nodeId = `node_${pools.length}`) {
  const pg = openPg(tdb.url, { max: 4 })
  pools.push(pg)
  const repos = createPgRepos(pg, key, { nodeId })
  closers.push(() => repos.deliveries.close())
  return { pg, repos }
}

function dispatcherOf(n: ReturnType<typeof node>) {
  const d = createDispatcher({
    events: n.repos.events,
    webhooks: n.repos.webhooks,
    deliveries: n.repos.deliveries,
    logger: createLogger('silent'),
    schedule: [50, 100],
    timeoutMs: 2000,
    concurrency: 4,
    fetch: loopbackEgress().fetch,
    pollMs: 200,
  })
  dispatchers.push(d)
  return d
}

let a: ReturnType<typeof node>
beforeAll(async () => {
  tdb = await createTestDatabase()
  a = node()
  await migratePg(a.pg.sql)
  await a.pg.sql`INSERT INTO orgs (id, name) VALUES ('acme', 'acme')`
})
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.stop()
  for (const r of receivers.splice(0)) r.stop()
})
afterAll(async () => {
  for (const c of closers) c()
  for (const p of pools) await p.close()
  await tdb?.drop()
})

const event = (i: number) => ({ type: 'message.received', orgId: 'acme', sessionId: null, data: { i } })

describe('events across PostgreSQL nodes', () => {
  it('two dispatchers deliver a backlog to one receiver, every delivery exactly once', async () => {
    const b = node()
    const rx = startReceiver()
    receivers.push(rx)
    const secret = generateSecret()
    const w = await a.repos.webhooks.create('acme', { url: rx.url, events: ['*'] }, secret)
    rx.state.secret = secret
    const ids = await a.pg.sql.begin(async (tx) => {
      const out: string[] = []
      for (let i = 0; i < 400; i++) out.push((await appendPg(tx, event(i)))!.id)
      return out
    })
    const first = dispatcherOf(a)
    const second = dispatcherOf(b)
    await Promise.all([first.start(), second.start()])
    await waitFor(
      'every delivery to succeed',
      async () => {
        const rows = await a.pg
          .sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = ${w.id} AND status = 'succeeded'`
        return rows[0].n === 400
      },
      60_000,
      50,
    )
    expect(rx.ids().sort()).toEqual([...ids].sort())
    expect(rx.received.every((r) => r.valid)).toBe(true)
    const rows = await a.pg.sql`SELECT attempt_count, status FROM webhook_deliveries WHERE webhook_id = ${w.id}`
    expect(rows.length).toBe(400)
    expect(rows.every((r: { attempt_count: number }) => r.attempt_count === 1)).toBe(true)
  })

  it("each node's repositories claim deliveries under that node's id", async () => {
    const b = node('node-b')
    const w = await a.repos.webhooks.create('acme', { url: 'http://127.0.0.1:9/x', events: ['*'] }, generateSecret())
    const e = (await a.pg.sql.begin((tx) => appendPg(tx, event(1))))!
    await a.repos.deliveries.create(w.id, { seq: e.seq, id: e.id, type: e.type, sessionId: null })
    expect((await b.repos.deliveries.claim(w.id, 10)).length).toBe(1)
    expect(b.repos.deliveries.nodeId).toBe('node-b')
    expect(await a.pg.sql`SELECT status, claimed_by FROM webhook_deliveries WHERE webhook_id = ${w.id}`).toEqual([
      { status: 'sending', claimed_by: 'node-b' },
    ])
    await a.repos.webhooks.delete('acme', w.id)
  })

  it("a node's delivery claims last the lease serve gives its repositories (its session leases' TTL)", async () => {
    const pg = openPg(tdb.url, { max: 2 })
    pools.push(pg)
    const { repos, deliveries } = pgRepos(pg, key, 'node-ttl', () => {}, 5_000)
    closers.push(() => deliveries.close())
    const w = await a.repos.webhooks.create('acme', { url: 'http://127.0.0.1:9/x', events: ['*'] }, generateSecret())
    const e = (await a.pg.sql.begin((tx) => appendPg(tx, event(1))))!
    await a.repos.deliveries.create(w.id, { seq: e.seq, id: e.id, type: e.type, sessionId: null })
    expect((await repos.deliveries.claim(w.id, 10)).length).toBe(1)
    const [{ left }] = await a.pg.sql`
      SELECT claimed_until - floor(extract(epoch from clock_timestamp()) * 1000)::int8 AS left
      FROM webhook_deliveries WHERE webhook_id = ${w.id}`
    expect(Number(left)).toBeGreaterThan(4_000)
    expect(Number(left)).toBeLessThanOrEqual(5_000)
    await a.repos.webhooks.delete('acme', w.id)
  })

  it('the per-organisation webhook cap holds when two nodes create at once', async () => {
    const b = node()
    await a.pg.sql`INSERT INTO orgs (id, name) VALUES ('capped', 'capped')`
    const hook = { url: 'http://127.0.0.1:9/x', events: ['*'] }
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).repos.webhooks.createWithin('capped', hook, `whsec_${i}`, 3),
      ),
    )
    expect(created.filter((w) => w !== null).length).toBe(3)
    expect(await a.repos.webhooks.count('capped')).toBe(3)
  })

  it('a live stream on one node is woken by a commit on another node', async () => {
    const b = node()
    const events = createPgEventStore(b.pg)
    const hub = createSseHub(events)
    await a.pg.sql.begin((tx) => appendPg(tx, event(-1)))
    const start = await waitFor('a head', () => events.maxSeq())
    const reader = hub.open('acme', start, { matchType: () => true }).getReader()
    const text: string[] = []
    const reading = (async () => {
      const dec = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        text.push(dec.decode(value))
      }
    })()
    await events.listening()
    const e = await a.pg.sql.begin((tx) => appendPg(tx, event(7)))
    await waitFor('the frame on the other node', () => text.join('').includes(`id: ${e!.id}\n`))
    expect(text.join('')).toContain(`"data":{"i":7}`)
    hub.close()
    await reading.catch(() => {})
  })
})
