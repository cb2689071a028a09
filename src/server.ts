// Wires real things together for `wagate serve`: database, keys, engine, HTTP server, shutdown.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createApp } from './app.ts'
import { createMetrics, type Metrics } from './metrics/registry.ts'
import { createStoreGauges } from './store/gauges.ts'
import { createAuthenticator } from './auth/authenticator.ts'
import { bootstrap, bootstrapBanner } from './bootstrap.ts'
import { ConfigError, type Config } from './config.ts'
import { createEventDelivery } from './events/service.ts'
import { createEgress, parseAllowList } from './media/egress.ts'
import type { Logger } from './log.ts'
import { startRetention } from './media/retention.ts'
import { openMediaStore, type MediaStore } from './media/store.ts'
import type { SessionEngine } from './sessions/engine.ts'
import { lockDataDir, prepareDataDir } from './store/data-dir.ts'
import { openDb, type Db, type OpenOptions } from './store/db.ts'
import { migrateData } from './store/data-migrations.ts'
import { createStores, sqliteRepos, type Stores } from './store/index.ts'
import { loadSecretKey } from './whatsapp/secret-key.ts'

export const dbPath = (dataDir: string) => join(dataDir, 'wagate.db')

export type EngineFactory = (ctx: {
  db: Db
  stores: Stores
  secretKey: Buffer
  logger: Logger
  media: MediaStore
}) => SessionEngine

/**
 * Opens the data dir: database migrated, secret key loaded, repositories built: `stores` synchronous (the ingest
 * write path), `repos` their async face (everything else).
 */
export function openData(config: Config, opts: OpenOptions = {}) {
  const db = openDb(dbPath(config.dataDir), { checkpoint: opts.checkpoint ?? 'auto', cacheMb: config.sqliteCacheMb })
  const secretKey = loadSecretKey({ configured: config.secretKey, dataDir: config.dataDir })
  migrateData(db.sqlite, secretKey)
  const stores = createStores(db, secretKey)
  return { db, secretKey, stores, repos: sqliteRepos(stores) }
}

/** The offline JWKS file; an unreadable one stops startup with a config error, not a stack trace. */
function readJwks(path: string): { keys: unknown[] } {
  try {
    const jwks = JSON.parse(readFileSync(path, 'utf8')) as { keys?: unknown }
    if (!Array.isArray(jwks.keys)) throw new Error('no "keys" array')
    return jwks as { keys: unknown[] }
  } catch (e) {
    throw new ConfigError([`jwksFile: cannot use ${path}: ${(e as Error).message}`])
  }
}

/** The configured port is taken: no port sharing, so a second server never splits another's traffic. */
export class PortInUse extends Error {
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use by another process; stop it or choose another --port`)
    this.name = 'PortInUse'
  }
}

const addressInUse = (e: unknown) =>
  (e as { code?: string }).code === 'EADDRINUSE' || /EADDRINUSE|address already in use|port \d+ in use/i.test(String(e))

/** How login JWTs are checked (the authenticator's `jwt`); `jwks` is the parsed --jwks-file. */
export const jwtSettings = (config: Config, jwks = config.jwksFile ? readJwks(config.jwksFile) : undefined) => ({
  jwksUrl: config.jwksUrl,
  jwks,
  issuer: config.jwtIssuer,
  audience: config.jwtAudience,
  clockToleranceSeconds: config.jwtClockToleranceSeconds,
  orgClaim: config.jwtOrgClaim,
  roleClaim: config.jwtRoleClaim,
  roleCapabilities: config.roleCapabilities,
})

/** What createApp takes from the configuration, the same on a single server and a cluster node. */
export const httpSettings = (config: Config) => ({
  maxBodyBytes: config.maxBodyBytes,
  limits: {
    ratePerSecond: config.rateLimit,
    burst: config.rateBurst,
    streamsPerOrg: config.maxStreamsPerOrg,
    webhooksPerOrg: config.maxWebhooksPerOrg,
  },
  mediaMaxBytes: config.mediaMaxBytes,
  docs: config.docs,
})

/** The listen options of the HTTP server. */
export const listenOptions = (config: Config) => ({
  hostname: config.host,
  port: config.port,
  // Elysia turns port sharing on by default: two servers on one port would split its requests.
  reusePort: false,
  // And Bun's development mode unless NODE_ENV is "production": an error no handler caught would then be answered
  // with a page showing its stack trace.
  development: false,
  // Bun's own limit answers a bare 413 before any handler runs; ours (declared length checked on arrival,
  // the stream read with a cap) answers the envelope, so Bun's is only a far-away backstop.
  maxRequestBodySize: Math.max(config.maxBodyBytes * 64, 256 * 1024 * 1024, config.mediaMaxBytes + 1024 * 1024),
})

export type Running = { url: string; port: number; stop(): Promise<void> }

export async function startServer(
  config: Config,
  deps: { logger: Logger; version: string; makeEngine: EngineFactory; out?: (s: string) => void },
): Promise<Running> {
  const { logger } = deps
  const jwks = config.jwksFile ? readJwks(config.jwksFile) : undefined
  for (const warning of prepareDataDir(config.dataDir)) logger.warn({ dataDir: config.dataDir }, warning)
  const lock = lockDataDir(config.dataDir)
  const { db, secretKey, stores, repos } = openData(config, { checkpoint: 'background' })
  const created = await bootstrap(repos)
  if (created) (deps.out ?? ((s) => process.stdout.write(s)))(bootstrapBanner(created))

  if ((config.jwksUrl || jwks) && !config.jwtIssuer && !config.jwtAudience)
    logger.warn(
      'login JWTs are accepted from any issuer for any audience: set --jwt-issuer and/or --jwt-audience ' +
        'so tokens minted for another service are refused',
    )
  const authenticate = createAuthenticator({
    apiKeys: repos.apiKeys,
    orgs: repos.orgs,
    jwt: jwtSettings(config, jwks),
  })
  const media = openMediaStore({ dir: join(config.dataDir, 'media'), repo: repos.media })
  const engine = deps.makeEngine({ db, stores, secretKey, logger, media })
  const egress = createEgress({ allow: parseAllowList(config.egressAllow).allow })
  let metrics: Metrics | undefined
  const eventsOut = createEventDelivery(config, repos, logger, deps.version, (a) => metrics?.observeDelivery(a))
  metrics = createMetrics({ gauges: createStoreGauges(db), sseClients: () => eventsOut.hub.size() })
  repos.events.observeTransactions(metrics.observeTransaction)
  const app = createApp({
    egress,
    repos,
    engine,
    authenticate,
    logger,
    version: deps.version,
    ...httpSettings(config),
    eventHub: eventsOut.hub,
    media: { store: media, maxBytes: config.mediaMaxBytes },
    metrics: { metrics, token: config.metricsToken },
  })
  try {
    app.listen(listenOptions(config))
  } catch (e) {
    await db.close()
    lock.release()
    throw addressInUse(e) ? new PortInUse(config.host, config.port) : e
  }
  const port = app.server!.port!
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  logger.info({ url, dataDir: config.dataDir }, 'wagate listening')
  await eventsOut.start()
  const retention = startRetention(config.mediaRetentionDays, media, logger)
  void engine.restore().catch((err: unknown) => logger.error({ err }, 'restoring sessions failed'))

  let stopping: Promise<void> | null = null
  return {
    url,
    port,
    stop: () =>
      (stopping ??= (async () => {
        logger.info('shutting down')
        eventsOut.closeStreams()
        if (retention) clearInterval(retention)
        await app.stop()
        await engine.shutdown()
        await eventsOut.stop()
        await db.close()
        lock.release()
      })()),
  }
}
