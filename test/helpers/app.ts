// testApp(): a migrated SQLite database in a temp dir, the real authenticator (JWKS over loopback),
// the real app, and a request helper. The pattern of PocketBase's NewTestApp, in TypeScript.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import { capabilities, type Capability } from '../../src/domain/capability.ts'
import { mintKey } from './keys.ts'
import { createLogger, type Logger } from '../../src/log.ts'
import type { Limits } from '../../src/http/rate-limit.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { openMediaStore, type MediaStore } from '../../src/media/store.ts'
import type { Egress } from '../../src/media/egress.ts'
import type { SessionEngine } from '../../src/sessions/engine.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { createStores, sqliteRepos, type Stores } from '../../src/store/index.ts'
import { startJwks, type JwksServer } from './jwks.ts'
import { loopbackEgress } from './lookup.ts'
import { offlineEngine } from './offline-engine.ts'

export type TestApp = Awaited<ReturnType<typeof testApp>>

export type EngineMaker = (ctx: {
  db: Db
  stores: Stores
  logger: Logger
  dir: string
  media: MediaStore
}) => SessionEngine

export async function testApp(
  opts: {
    engine?: EngineMaker
    jwks?: JwksServer
    egress?: Egress
    mediaMaxBytes?: number
    limits?: Limits
    /** Build the app with the Prometheus registry (`metrics` in the result). */
    metrics?: boolean
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-test-'))
  const db = openDb(join(dir, 'wagate.db'))
  // `stores` (synchronous) seeds and inspects; the app is given their async face, as `wagate serve` is.
  const stores = createStores(db, randomBytes(32))
  const repos = sqliteRepos(stores)
  const jwks = opts.jwks ?? (await startJwks())
  const logger = createLogger('silent')
  const authenticate = createAuthenticator({
    apiKeys: repos.apiKeys,
    orgs: repos.orgs,
    jwt: {
      jwksUrl: jwks.url,
      issuer: jwks.issuer,
      audience: jwks.audience,
      orgClaim: 'org_id',
      roleClaim: 'role',
      roleCapabilities: {
        owner: [...capabilities],
        admin: [...capabilities],
        member: ['read', 'send'],
        viewer: ['read'],
      },
    },
  })
  const media = { store: openMediaStore({ dir: join(dir, 'media'), repo: repos.media }), maxBytes: 4 * 1024 * 1024 }
  const metrics = opts.metrics ? createMetrics({ gauges: createStoreGauges(db), sseClients: () => 0 }) : undefined
  const engine = opts.engine ? opts.engine({ db, stores, logger, dir, media: media.store }) : offlineEngine(stores)
  const app = createApp({
    repos,
    engine,
    authenticate,
    logger,
    version: 'test',
    maxBodyBytes: 64 * 1024,
    ...(opts.mediaMaxBytes ? { mediaMaxBytes: opts.mediaMaxBytes } : {}),
    docs: true,
    media,
    egress: opts.egress ?? loopbackEgress(),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(metrics ? { metrics: { metrics } } : {}),
  })
  stores.orgs.create('acme')
  stores.orgs.create('other')

  /** Mints a key for `orgId` with exactly these capabilities. */
  const key = (caps: Capability[] = [...capabilities], orgId = 'acme', extra: { expiresAt?: number } = {}) =>
    mintKey(stores, { orgId, name: 'test', capabilities: caps, ...extra }).key

  const admin = key()
  const request = (path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) => {
    const headers = new Headers(init.headers)
    const token = init.token === undefined ? admin : init.token
    if (token) headers.set('authorization', `Bearer ${token}`)
    let body = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(init.json)
    }
    return app.handle(new Request(`http://localhost${path}`, { ...init, headers, body }))
  }

  return {
    app,
    db,
    stores,
    repos,
    jwks,
    key,
    admin,
    request,
    dir,
    engine,
    media,
    metrics,
    async close() {
      await engine.shutdown()
      if (!opts.jwks) jwks.stop()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const json = async <T = any>(res: Response): Promise<T> => (await res.json()) as T
