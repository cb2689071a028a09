// The webhook dispatcher's own cost per delivery, without the network: a backlog drained through fan-out, claim,
// signing, the lanes and the recorded attempt, with an in-memory fetch that answers 204 at once, on this thread. The
// delivery bench (webhooks.ts) measures against real sockets and a receiver, where two cores are shared by four busy
// threads and its ratio moved 0.54–0.62 on the same code within an hour; with no socket, thread or receiver this one
// moves far less (13.0–15.5 µs a delivery on the same code over an hour), so it is the one to compare a change of
// the store path or the lanes against — alternating the old and the new checkout, several times each.
//   bun scripts/bench/webhook-pipeline.ts [--backlog 50000] [--runs 5] [--concurrency 16] [--sessions 16]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDispatcher } from '../../src/events/dispatcher.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { createLogger } from '../../src/log.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { openDb } from '../../src/store/db.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'
import { arg, fmt, median } from './lib.ts'

const backlog = arg('backlog', 50_000)
const runs = arg('runs', 5)
const concurrency = arg('concurrency', 16)
const sessions = arg('sessions', 16)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-pipeline-'))
const db = openDb(join(dir, 'wagate.db'), { checkpoint: 'background' })
const stores = createStores(db, randomBytes(32))
stores.orgs.create('bench')
const hook = stores.webhooks.create('bench', { url: 'http://127.0.0.1:9/hook', events: ['*'] }, generateSecret())
const repos = sqliteRepos(stores)
const metrics = createMetrics({ gauges: createStoreGauges(db), sseClients: () => 0 })

let answered = 0
let drained: (() => void) | null = null
const dispatcher = createDispatcher({
  events: repos.events,
  webhooks: repos.webhooks,
  deliveries: repos.deliveries,
  logger: createLogger('silent'),
  schedule: [1000],
  timeoutMs: 10_000,
  concurrency,
  observe: (a) => metrics.observeDelivery(a),
  // The body is read as a real fetch would read it to send it; the answer is a bodiless 204.
  fetch: (_url, init) => {
    void String(init.body).length
    if (++answered % backlog === 0) setTimeout(() => drained?.(), 0)
    return Promise.resolve(new Response(null, { status: 204 }))
  },
})

const data = { id: '3EB0C767D26A3D5E1C3F', chatId: '6281234567890@s.whatsapp.net', type: 'text', body: 'x'.repeat(200) }
const results: { rate: number; cpuUs: number; userUs: number }[] = []
for (let run = 0; run < runs; run++) {
  for (let left = backlog; left > 0; left -= 1000)
    db.sqlite.transaction(() => {
      for (let i = 0; i < Math.min(1000, left); i++)
        stores.events.append({ type: 'message.received', orgId: 'bench', sessionId: `s${i % sessions}`, data })
    })()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    drained = resolve
    void dispatcher.start()
  })
  const seconds = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  await dispatcher.stop()
  const r = { rate: backlog / seconds, cpuUs: (c.user + c.system) / backlog, userUs: c.user / backlog }
  results.push(r)
  console.log(
    `run ${run + 1}: ${fmt(r.rate)} deliveries/s, ${r.cpuUs.toFixed(2)} µs CPU a delivery (user ${r.userUs.toFixed(2)})`,
  )
}
const failed = db.sqlite
  .query<{ n: number }, [string]>(
    "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ? AND status != 'succeeded'",
  )
  .get(hook.id)!.n
if (failed) throw new Error(`${failed} deliveries did not succeed`)
console.log(
  `median of ${runs}: ${fmt(median(results.map((r) => r.rate)))} deliveries/s, ` +
    `${median(results.map((r) => r.cpuUs)).toFixed(2)} µs CPU a delivery ` +
    `(bun scripts/bench/webhook-pipeline.ts --backlog ${backlog} --runs ${runs} --concurrency ${concurrency} --sessions ${sessions})`,
)
await db.close()
rmSync(dir, { recursive: true, force: true })
process.exit(0)
