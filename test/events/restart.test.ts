// Restarts of the real gateway (child processes): nothing committed to the outbox is lost, neither for
// webhooks nor for a consumer of the pull API.
import { afterEach, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb, type Db } from '../../src/store/db.ts'
import { createEventStore } from '../../src/store/events.ts'
import { spawnGateway, type Gateway } from './gateway.ts'
import { startReceiver, waitFor } from './receiver.ts'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-restart-'))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Writes events into the gateway's database the way ingest does: a transaction, then they exist. */
function produce(db: Db, n: number, batch = 100) {
  const events = createEventStore(db)
  const ids: string[] = []
  for (let done = 0; done < n; done += batch)
    db.sqlite.transaction(() => {
      for (let i = done; i < Math.min(n, done + batch); i++)
        ids.push(events.append({ type: 'message.received', orgId: 'default', sessionId: `s${i % 7}`, data: { i } })!.id)
    })()
  return ids
}

const api = (g: Gateway, key: string, path: string, json?: unknown) =>
  fetch(g.url + path, {
    method: json ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(json ? { body: JSON.stringify(json) } : {}),
  }).then((r) => r.json() as Promise<any>)

it('delivers all 1,000 events produced while the receiver was down, across two gateway restarts', async () => {
  const dir = dataDir()
  const env = {
    WAGATE_WEBHOOK_RETRY_SCHEDULE: Array(300).fill('0.1').join(','),
    WAGATE_WEBHOOK_CONCURRENCY: '16',
    WAGATE_EGRESS_ALLOW: '127.0.0.0/8', // the receiver runs on this machine
  }
  const probe = startReceiver()
  const port = probe.port
  probe.stop() // the receiver is down from the start: its port refuses connections
  let g = await spawnGateway(dir, env)
  cleanup.push(() => g.stop('SIGKILL'))
  const key = g.key!
  const hook = await api(g, key, '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/hook`, events: ['*'] })
  const db = openDb(join(dir, 'wagate.db'))
  cleanup.push(() => db.close())
  const ids = produce(db, 1000)
  const attempted = () =>
    db.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM webhook_deliveries WHERE attempt_count > 0').get()!.n
  await waitFor(() => attempted() === 1000, 15_000, 'first attempts')

  await g.stop('SIGTERM')
  const before = attempted()
  const attempts = () =>
    db.sqlite.query<{ n: number }, []>('SELECT sum(attempt_count) AS n FROM webhook_deliveries').get()!.n
  const sofar = attempts()
  g = await spawnGateway(dir, env)
  // Killed mid-flight: once the second process has recorded retries of its own, while it keeps retrying.
  await waitFor(() => attempts() >= sofar + 100, 15_000, 'retries by the second process')
  await g.stop('SIGKILL')
  g = await spawnGateway(dir, env)
  expect(before).toBe(1000)

  const rx = startReceiver({ port })
  rx.state.secret = hook.secret
  cleanup.push(() => rx.stop())
  await waitFor(() => new Set(rx.ids()).size === 1000, 20_000, 'all events at the receiver')
  expect(new Set(rx.ids())).toEqual(new Set(ids))
  expect(rx.received.every((r) => r.valid)).toBe(true)
  await waitFor(
    () =>
      db.sqlite
        .query<{ n: number }, []>("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'succeeded'")
        .get()!.n === 1000,
    5000,
    'all deliveries succeeded',
  )
  // Duplicates are retries of the same event (same webhook-id), never new ids.
  expect(rx.received.length).toBeGreaterThanOrEqual(1000)
}, 60_000)

it('lets a pull consumer see every event exactly once, in order, across a gateway restart', async () => {
  const dir = dataDir()
  let g = await spawnGateway(dir)
  cleanup.push(() => g.stop('SIGKILL'))
  const key = g.key!
  const db = openDb(join(dir, 'wagate.db'))
  cleanup.push(() => db.close())
  const seen: string[] = []
  let cursor: string | null = null
  const poll = async () => {
    for (;;) {
      const page: any = await api(g, key, `/api/v1/events?limit=70${cursor ? `&after=${cursor}` : ''}`)
      seen.push(...page.data.map((e: { id: string }) => e.id))
      cursor = page.nextCursor
      if (!page.hasMore) return
    }
  }
  const ids = produce(db, 250)
  await poll()
  ids.push(...produce(db, 100))
  await g.stop('SIGKILL')
  ids.push(...produce(db, 100)) // committed while the gateway is down
  g = await spawnGateway(dir)
  await poll()
  ids.push(...produce(db, 50))
  await poll()
  expect(seen).toEqual(ids)
}, 60_000)
