// `wagate serve --database-url`: one node of a cluster on PostgreSQL. Everything is read from and written to the
// shared database; the node's lease manager decides which sessions' sockets run here, the command bus brings calls
// that need a socket to the node running it, and the outbox is read by every node (LISTEN/NOTIFY wake-ups,
// deliveries claimed with SKIP LOCKED). Order matters at start: the secret key is checked against the database's
// fingerprint before anything is written; the command bus listens before the node takes leases; the node joins
// before the HTTP server accepts calls. At stop the node drains (sockets closed, leases released) before the
// database is closed.
//
// Media files live in DATA_DIR/media, which every node of a cluster shares (a network or shared volume): the rows
// saying which exist and who holds them are in the database, so any node serves an upload another node stored.
import { join } from 'node:path'
import type { Config } from '../config.ts'
import type { Logger } from '../log.ts'
import { createAuthenticator } from '../auth/authenticator.ts'
import { bootstrap, bootstrapBanner } from '../bootstrap.ts'
import { createApp } from '../app.ts'
import { createEventDelivery } from '../events/service.ts'
import { createEgress, parseAllowList } from '../media/egress.ts'
import { startRetention } from '../media/retention.ts'
import { httpSettings, jwtSettings, listenOptions } from '../server.ts'
import { openMediaStore, type MediaStore } from '../media/store.ts'
import { createMetrics, type Metrics } from '../metrics/registry.ts'
import type { SessionEngine } from '../sessions/engine.ts'
import type { LeaseDriven } from '../sessions/supervisor.ts'
import type { Repos } from '../store/contract.ts'
import type { TransactionObserver } from '../store/events.ts'
import { prepareDataDir } from '../store/data-dir.ts'
import { migratePg, openPg, redactUrl, type PgDb } from '../store/pg/db.ts'
import { createPgRepos } from '../store/pg/index.ts'
import { loadSecretKey } from '../whatsapp/secret-key.ts'
import { createCommandRouting } from './commands-engine.ts'
import type { LeaseRef } from './fencing.ts'
import { newNodeId } from './leases.ts'
import { nodeEngine, startNode, timingsOf, type ClusterNode } from './node.ts'
import { createPgGauges } from './gauges.ts'
import { claimSecretKey } from './secret-key.ts'

/** The session engine of a node: a supervisor whose writes are fenced by `leaseOf`, driven by the node's leases. */
export type ClusterEngineFactory = (ctx: {
  pg: PgDb
  repos: Repos
  secretKey: Buffer
  logger: Logger
  nodeId: string
  /** The media store on DATA_DIR/media (shared by every node), its rows in the database. */
  media: MediaStore
  /** The lease this node holds for a session (undefined: none, every write of it must fail). */
  leaseOf(sessionId: string): LeaseRef | undefined
  /** Told of every transaction the engine commits (the commit figures of /metrics). */
  observe: TransactionObserver
}) => SessionEngine & LeaseDriven

export type ClusterRunning = { url: string; port: number; nodeId: string; node: ClusterNode; stop(): Promise<void> }

/**
 * Every repository on PostgreSQL, as the HTTP layer and the outbox readers see them. `claimLeaseMs`: how long this
 * node's webhook delivery claims last unrenewed (`serve` gives the session leases' TTL, so a node that dies hands
 * its deliveries over as soon as its sessions).
 */
export function pgRepos(
  pg: PgDb,
  secretKey: Uint8Array,
  nodeId: string,
  onError: (e: unknown) => void,
  claimLeaseMs?: number,
) {
  const base = createPgRepos(pg, secretKey, { nodeId, onError, claimLeaseMs })
  const { events, webhooks, deliveries } = base
  const repos: Repos = {
    ...base,
    events: {
      maxSeq: events.maxSeq,
      seqOf: events.seqOf,
      scan: events.scan,
      prune: events.prune,
      onCommitted: events.onCommitted,
      // This node's own transactions outside the engine (the engine's ingest reports its own, see `observe`): every
      // node counts what it committed; the NOTIFY that wakes its readers carries no figures.
      observeTransactions: events.observeTransactions,
    },
    webhooks,
    deliveries,
    async health() {
      try {
        await pg.sql`SELECT 1 AS one`
        return { ok: true }
      } catch (e) {
        return { ok: false, detail: `database unreachable: ${(e as Error).message}` }
      }
    },
  }
  return { repos, events, deliveries }
}

export async function startClusterServer(
  config: Config & { databaseUrl: string },
  deps: { logger: Logger; version: string; makeEngine: ClusterEngineFactory; out?: (s: string) => void },
): Promise<ClusterRunning> {
  const { logger } = deps
  const nodeId = config.nodeId ?? newNodeId()
  const log = logger.child({ nodeId })
  for (const warning of prepareDataDir(config.dataDir)) log.warn({ dataDir: config.dataDir }, warning)
  const secretKey = loadSecretKey({ configured: config.secretKey, dataDir: config.dataDir })
  // A session's fenced writes lock its lease row: a transaction left open by a paused or cut-off node would keep
  // the others from taking the lease. The server ends it once it has waited past this node's renew deadline, when
  // the node has stopped the session's socket by its own rule anyway.
  const pg = openPg(config.databaseUrl, { idleInTransactionMs: config.leaseRenewDeadlineMs })
  try {
    const { applied } = await migratePg(pg.sql)
    if (applied.length) log.info({ applied, database: redactUrl(config.databaseUrl) }, 'migrated the database')
    // Before any write of this node: a node with another key must leave the database as it found it.
    await claimSecretKey(pg.sql, secretKey)
  } catch (e) {
    await pg.close()
    throw e
  }
  const onError = (err: unknown) => log.warn({ err: String(err) }, 'database notification failed')
  const { repos, deliveries } = pgRepos(pg, secretKey, nodeId, onError, config.leaseTtlMs)
  // What a start that fails halfway has to end, last first, before the pool closes: nothing of the node may keep
  // running (LISTEN connections, timers, a joined node row).
  const undo: (() => unknown)[] = [() => deliveries.close()]
  let closeLeasePool = async () => {}
  try {
    const created = await bootstrap(repos)
    if (created) (deps.out ?? ((s) => process.stdout.write(s)))(bootstrapBanner(created))

    const authenticate = createAuthenticator({
      apiKeys: repos.apiKeys,
      orgs: repos.orgs,
      jwt: jwtSettings(config),
    })
    const media = openMediaStore({ dir: join(config.dataDir, 'media'), repo: repos.media })
    let node: ClusterNode | undefined
    let metrics: Metrics | undefined
    const local = deps.makeEngine({
      pg,
      repos,
      secretKey,
      logger,
      nodeId,
      media,
      leaseOf: (id) => node?.leaseOf(id),
      observe: (t) => metrics?.observeTransaction(t),
    })
    undo.push(() => local.shutdown())
    const routing = createCommandRouting({
      sql: pg.sql,
      nodeId,
      holds: (id) => node?.leaseOf(id) !== undefined,
      local,
      media,
      kick: () => void node?.wake(),
      onError: (err) => log.warn({ err: String(err) }, 'command bus'),
    })
    await routing.start()
    undo.push(() => routing.stop())
    // The lease rounds have connections of their own: a pool busy with ingest and auth-state transactions must not
    // delay a renewal past the deadline, which would stop every session of this node.
    const leasePool = openPg(config.databaseUrl, { max: 2 })
    closeLeasePool = () => leasePool.close()
    node = await startNode({ sql: leasePool.sql, secretKey, nodeId, timings: timingsOf(config), logger }, local)
    const joined = node
    const engine = nodeEngine(routing.engine, joined, async () => {
      await routing.stop()
      await local.shutdown()
    })
    undo.splice(1, undo.length, () => engine.shutdown()) // drains the node, then stops the bus and the engine

    const egress = createEgress({ allow: parseAllowList(config.egressAllow).allow })
    const eventsOut = createEventDelivery(config, repos, log, deps.version, (a) => metrics?.observeDelivery(a))
    metrics = createMetrics({
      gauges: createPgGauges(pg.sql),
      sseClients: () => eventsOut.hub.size(),
      cluster: { nodeId, owned: () => joined.owned(), stats: joined.stats, commands: routing.bus.stats },
    })
    repos.events.observeTransactions(metrics.observeTransaction)
    const app = createApp({
      egress,
      repos,
      engine,
      authenticate,
      logger: log,
      version: deps.version,
      ...httpSettings(config),
      eventHub: eventsOut.hub,
      media: { store: media, maxBytes: config.mediaMaxBytes },
      metrics: { metrics, token: config.metricsToken },
      async readiness() {
        const health = await repos.health()
        if (!health.ok) return { ok: false, reason: health.detail ?? 'database unreachable' }
        return await joined.ready()
      },
    })
    app.listen(listenOptions(config))
    undo.push(() => app.stop())
    const port = app.server!.port!
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
    log.info({ url, nodeId, database: redactUrl(config.databaseUrl) }, 'wagate listening')
    undo.push(() => eventsOut.stop())
    await eventsOut.start()
    const retention = startRetention(config.mediaRetentionDays, media, log)

    let stopping: Promise<void> | null = null
    return {
      url,
      port,
      nodeId,
      node: joined,
      stop: () =>
        (stopping ??= (async () => {
          log.info('shutting down: draining this node')
          eventsOut.closeStreams()
          if (retention) clearInterval(retention)
          try {
            await app.stop()
            await engine.shutdown()
            await eventsOut.stop()
          } finally {
            // Even when a step above failed: the claim renewals stop and the pool closes.
            deliveries.close()
            await closeLeasePool()
            await pg.close()
          }
        })()),
    }
  } catch (e) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => {})
    await closeLeasePool()
    await pg.close()
    throw e
  }
}
