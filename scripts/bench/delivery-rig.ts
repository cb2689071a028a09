// The webhook dispatcher as the server builds it, over a fresh SQLite file with one organisation and one webhook to
// `url` for every event: what the delivery benchmarks (webhooks.ts, webhook-pipeline.ts) drain through.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDispatcher, type DispatcherOptions } from '../../src/events/dispatcher.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { createLogger } from '../../src/log.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { openDb } from '../../src/store/db.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'

/** `send`: how requests leave, the dispatcher's `fetch` (this thread) or `egressAllow` (a worker, as the server). */
export function deliveryRig(o: {
  url: string
  concurrency: number
  send: Pick<DispatcherOptions, 'fetch'> | Pick<DispatcherOptions, 'egressAllow'>
}) {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-deliveries-'))
  // As the server opens it: checkpoints in a worker, not inside the dispatcher's commits.
  const db = openDb(join(dir, 'wagate.db'), { checkpoint: 'background' })
  const stores = createStores(db, randomBytes(32))
  stores.orgs.create('bench')
  const secret = generateSecret()
  const hook = stores.webhooks.create('bench', { url: o.url, events: ['*'] }, secret)
  const repos = sqliteRepos(stores)
  // Each attempt counted and its lag observed for /metrics, as the server does.
  const metrics = createMetrics({ gauges: createStoreGauges(db), sseClients: () => 0 })
  const dispatcher = createDispatcher({
    events: repos.events,
    webhooks: repos.webhooks,
    deliveries: repos.deliveries,
    logger: createLogger('silent'),
    schedule: [1000],
    timeoutMs: 10_000,
    concurrency: o.concurrency,
    observe: (a) => metrics.observeDelivery(a),
    ...o.send,
  })
  const data = {
    id: '3EB0C767D26A3D5E1C3F',
    chatId: '6281234567890@s.whatsapp.net',
    type: 'text',
    body: 'x'.repeat(200),
  }
  let n = 0
  return {
    secret,
    dispatcher,
    /** The `data` of every event `ingest` appends. */
    data,
    /** One ingest transaction of `k` `message.received` events spread over `sessions`, then the commit notification. */
    ingest(k: number, sessions: number) {
      db.sqlite.transaction(() => {
        for (let i = 0; i < k; i++, n++)
          stores.events.append({ type: 'message.received', orgId: 'bench', sessionId: `s${n % sessions}`, data })
      })()
      stores.events.committed()
    },
    /** Deliveries of the webhook that did not succeed. */
    notSucceeded: () =>
      db.sqlite
        .query<{ n: number }, [string]>(
          "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ? AND status != 'succeeded'",
        )
        .get(hook.id)!.n,
    async close() {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
