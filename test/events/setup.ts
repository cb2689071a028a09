// Builds the events side over a real SQLite file: stores, a dispatcher with a fast retry schedule, and helpers
// that append outbox rows the way the ingest transaction does.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import type { Capability } from '../../src/domain/capability.ts'
import { mintKey } from '../helpers/keys.ts'
import { createDispatcher, type DispatcherOptions } from '../../src/events/dispatcher.ts'
import { createSseHub, type SseOptions } from '../../src/events/sse.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { createLogger } from '../../src/log.ts'
import type { Egress } from '../../src/media/egress.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { createStores, sqliteRepos, type Stores } from '../../src/store/index.ts'
import type { WebhookInput } from '../../src/store/webhooks.ts'
import { loopbackEgress } from '../helpers/lookup.ts'
import { offlineEngine } from '../helpers/offline-engine.ts'
import { waitFor } from './receiver.ts'

export type EventsRig = Awaited<ReturnType<typeof eventsRig>>

export async function eventsRig(opts: Partial<Omit<DispatcherOptions, 'events' | 'webhooks' | 'deliveries'>> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-events-'))
  const key = randomBytes(32)
  let db: Db = openDb(join(dir, 'wagate.db'))
  let stores: Stores = createStores(db, key)
  let repos = sqliteRepos(stores)
  stores.orgs.create('acme')
  stores.orgs.create('other')
  const logger = createLogger('silent')
  const egress = loopbackEgress()
  const make = () =>
    createDispatcher({
      events: repos.events,
      webhooks: repos.webhooks,
      deliveries: repos.deliveries,
      logger,
      schedule: [50, 100, 150],
      timeoutMs: 2000,
      concurrency: 4,
      fetch: egress.fetch,
      ...opts,
    })
  let dispatcher = make()

  const rig = {
    dir,
    get db() {
      return db
    },
    get stores() {
      return stores
    },
    /** The async face of `stores`, as the gateway's consumers see them. */
    get repos() {
      return repos
    },
    get dispatcher() {
      return dispatcher
    },
    /** Creates a webhook and returns it with its secret. */
    webhook(input: Partial<WebhookInput> & { url: string }, orgId = 'acme') {
      const secret = generateSecret()
      const w = stores.webhooks.create(orgId, { events: ['*'], ...input }, secret)
      return { ...w, secret }
    },
    /** Appends `n` events in one transaction, then notifies, like an ingest batch. */
    emit(n = 1, e: { type?: string; orgId?: string; sessionId?: string | null; data?: (i: number) => unknown } = {}) {
      const out = db.sqlite.transaction(() =>
        Array.from({ length: n }, (_, i) =>
          stores.events.append({
            type: e.type ?? 'message.received',
            orgId: e.orgId ?? 'acme',
            sessionId: e.sessionId === undefined ? 'ses_1' : e.sessionId,
            data: e.data ? e.data(i) : { i },
          }),
        ),
      )()
      stores.events.committed()
      return out.map((x) => x!)
    },
    /** Simulates a process restart in-process: stop, close, reopen the same file, new dispatcher. */
    async restart() {
      await dispatcher.stop()
      db.close()
      db = openDb(join(dir, 'wagate.db'))
      stores = createStores(db, key)
      repos = sqliteRepos(stores)
      dispatcher = make()
      await dispatcher.start()
    },
    /** The HTTP app over these stores (API keys only), with a hub tuned by `sse`. */
    http(sse: SseOptions = {}, policy: Pick<Egress, 'checkUrl'> = egress) {
      const authenticate = createAuthenticator({
        apiKeys: repos.apiKeys,
        orgs: repos.orgs,
        jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
      })
      const hub = createSseHub(repos.events, sse)
      const app = createApp({
        repos,
        engine: offlineEngine(stores),
        authenticate,
        logger,
        version: 'test',
        maxBodyBytes: 64 * 1024,
        docs: false,
        eventHub: hub,
        egress: policy,
      })
      const key = (caps: Capability[] = ['read', 'manage'], orgId = 'acme') =>
        mintKey(stores, { orgId, name: 't', capabilities: caps }).key
      const admin = key()
      const request = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
        const headers = new Headers(init.headers)
        headers.set('authorization', `Bearer ${init.token ?? admin}`)
        if (init.json !== undefined) headers.set('content-type', 'application/json')
        const body = init.json !== undefined ? JSON.stringify(init.json) : init.body
        return app.handle(new Request(`http://localhost${path}`, { ...init, headers, body }))
      }
      return { app, hub, key, request }
    },
    deliveries: (webhookId: string) => stores.deliveries.page(webhookId, undefined, { limit: 200 }).data,
    /**
     * Resolves once the dispatcher has fanned `webhookId` out past `seq` (default: the newest event of any org; pass
     * the last seq of the webhook's own organisation when other organisations wrote later) and
     * finished each delivery it made (none pending or sending): nothing more for those events can reach it.
     */
    settled: (webhookId: string, seq = stores.events.maxSeq()) =>
      waitFor(
        () =>
          stores.webhooks.target(webhookId)!.hwm >= seq &&
          rig.deliveries(webhookId).every((d) => d.status === 'succeeded' || d.status === 'failed'),
        10_000,
        `webhook ${webhookId} settled past event ${seq}`,
      ),
    async close() {
      await dispatcher.stop()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return rig
}
