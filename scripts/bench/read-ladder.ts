// Where the read path's CPU goes over its raw ceiling: the chat-messages listing served by the raw route and by the
// app built up one layer at a time, all in one process, through `handle(Request)` (no sockets), in batches of 100
// requests taken in turn (order reversed every round) — the same pairing as read-ab.ts, so each layer's cost is the
// median of its paired differences with the layer below, and a drift of the machine's load hits both alike.
//   bun scripts/bench/read-ladder.ts [--seconds 60] [--db <file from read-ab.ts or an earlier run>]
// The layers (each includes the ones above it):
//   raw        read-server.ts's raw route: one prepared statement, the same row mapping and signed cursor
//   elysia     a bare Elysia route calling the same repository page (query schema, routing, cursor verification)
//   +errors    the error plugin (request id, body limits, error envelope)
//   +metrics   the request metrics hooks
//   +auth      the capability macro with the real authenticator (API key, auth epoch read, rate limiter)
//   +own       the session ownership check and the chat lookup (PN/LID) the real route makes
//   app        the whole app as `wagate serve` builds it (every route registered)
// --served: each layer listens on its own port in this process and wrk loads one at a time (50 connections,
// --window seconds, --rounds rounds, order reversed every round); a layer's cost is this process's CPU per request
// served. In-process figures understate the served ones (0.797 of raw served against 0.884 in process on the same
// seed): for one, the first layer to read a request header makes Bun build the request's headers.
//   bun scripts/bench/read-ladder.ts --served [--rounds 6] [--window 5] [--db <file>]
import { Elysia } from 'elysia'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import type { Principal } from '../../src/domain/capability.ts'
import { Message } from '../../src/domain/message.ts'
import { authPlugin } from '../../src/http/auth.ts'
import { errorPlugin } from '../../src/http/errors.ts'
import { metricsPlugin, requestMetrics } from '../../src/http/metrics.ts'
import { rateLimitedAuthenticator } from '../../src/http/rate-limit.ts'
import { ownSessionId, PageOf, PageQuery, pageOf, pathId, served } from '../../src/http/shared.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/log.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { listenOptions } from '../../src/server.ts'
import { openDb } from '../../src/store/db.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'
import { arg, flag, median } from './lib.ts'
import { loader } from './load.ts'
import { benchApp, rawFetch } from './read-server.ts'
import { bigChat, seed } from './read-seed.ts'

const seconds = arg('seconds', 60)
const di = process.argv.indexOf('--db')
let path = di > 0 ? process.argv[di + 1]! : ''
if (!path) {
  path = join(mkdtempSync(join(tmpdir(), 'wagate-read-ladder-')), 'bench.db')
  const secret = Buffer.alloc(32, 9).toString('hex')
  console.error(`seeding ${path} (kept; pass it as --db next time) …`)
  writeFileSync(
    `${path}.json`,
    JSON.stringify({ ...(await seed(path, Buffer.from(secret, 'hex'), 100_000, 1_000_000)), secret }),
  )
}
if (!existsSync(`${path}.json`)) throw new Error(`${path}.json (written by the run that seeded ${path}) is missing`)
const { sid, key, secret } = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Record<string, string>

const db = openDb(path)
const repos = sqliteRepos(createStores(db, Buffer.from(secret!, 'hex')))
const metrics = createMetrics({ gauges: createStoreGauges(db), sseClients: () => 0 })
const authenticate = rateLimitedAuthenticator(
  createAuthenticator({
    apiKeys: repos.apiKeys,
    orgs: repos.orgs,
    jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
  }),
  { ratePerSecond: 1e9, burst: 1e9 },
)
const route = '/api/v1/sessions/:sid/chats/:cid/messages'
const MessagePage = PageOf(Message)
type Ctx = { params: { sid: string; cid: string }; query: { limit?: number; cursor?: string }; set: { headers: {} } }
const page = async ({ params, query, set }: Ctx) =>
  served(set, MessagePage, await repos.messages.page(params.sid, params.cid, pageOf(query)))
const owned = async ({ params, query, set, principal }: Ctx & { principal: Principal }) => {
  const id = await ownSessionId(repos.sessions, principal, params.sid)
  const chat = await repos.chats.ref(id, pathId(params.cid, 'cid'))
  if (!chat) throw new Error('the seeded chat is missing')
  return served(set, MessagePage, await repos.messages.page(id, chat.jid, pageOf(query), chat.lid))
}
const errors = () => new Elysia().use(errorPlugin(createLogger('silent'), 1 << 20))
const measured = () => errors().use(metricsPlugin(metrics, requestMetrics(metrics)))
const apps = {
  elysia: new Elysia().get(route, page as never, { query: PageQuery }),
  '+errors': errors().get(route, page as never, { query: PageQuery }),
  '+metrics': measured().get(route, page as never, { query: PageQuery }),
  '+auth': measured()
    .use(authPlugin(authenticate))
    .get(route, page as never, { query: PageQuery, auth: 'read' }),
  '+own': measured()
    .use(authPlugin(authenticate))
    .get(route, owned as never, { query: PageQuery, auth: 'read' }),
  app: benchApp(path, secret!),
}

// The listing's pages (up to 400), walked through the app; the raw route gets each page's keyset values.
const headers = { authorization: `Bearer ${key}` }
const appPath = `/api/v1/sessions/${sid}/chats/${encodeURIComponent(bigChat)}/messages`
const rawPath = `/messages?sid=${sid}&chat=${encodeURIComponent(bigChat)}`
const appPaths = [`${appPath}?limit=50`]
const rawPaths = [rawPath]
for (let i = 0; i < 400; i++) {
  const res = await apps.app.handle(new Request(`http://127.0.0.1${appPaths.at(-1)}`, { headers }))
  const { nextCursor } = (await res.json()) as { nextCursor: string | null }
  if (!nextCursor) break
  appPaths.push(`${appPath}?limit=50&cursor=${nextCursor}`)
  const keyset = JSON.parse(Buffer.from(nextCursor.split('.')[0]!, 'base64url').toString()) as number[]
  rawPaths.push(`${rawPath}&after=${keyset.join(',')}`)
}

type Layer = { name: string; handle: (i: number) => Response | Promise<Response>; us: number[] }
const raw = rawFetch(path, secret!)
const layers: Layer[] = [
  { name: 'raw', handle: (i) => raw(new Request(`http://127.0.0.1${rawPaths[i % rawPaths.length]}`)), us: [] },
  ...Object.entries(apps).map(([name, app]) => ({
    name,
    handle: (i: number) => app.handle(new Request(`http://127.0.0.1${appPaths[i % appPaths.length]}`, { headers })),
    us: [] as number[],
  })),
]
// Every layer must serve the very same bytes as the raw route, or the steps compare different work.
const expected = await (await layers[0]!.handle(1)).text()
for (const l of layers) {
  const res = await l.handle(1)
  const body = await res.text()
  if (res.status !== 200 || body !== expected)
    throw new Error(`${l.name} answered ${res.status}: ${body.slice(0, 300)}`)
}

if (flag('served')) {
  const rounds = arg('rounds', 6)
  const window = arg('window', 5)
  const opts = listenOptions(loadConfig({ port: '0' }, {}))
  const urls = [
    `http://127.0.0.1:${Bun.serve({ ...opts, fetch: raw }).port}`,
    ...Object.values(apps).map((app) => `http://127.0.0.1:${app.listen(opts).server!.port}`),
  ]
  const load = loader(mkdtempSync(join(tmpdir(), 'wagate-read-ladder-')))
  const walk = (k: number) => (k ? appPaths : rawPaths)
  for (let round = 0; round < rounds; round++)
    for (const k of round % 2 ? [...layers.keys()].reverse() : layers.keys()) {
      const c0 = process.cpuUsage()
      const r = await load.run(urls[k]!, walk(k), k ? headers : {}, { connections: 50, seconds: window })
      const c = process.cpuUsage(c0)
      if (r.errors || r.non2xx) throw new Error(`${layers[k]!.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`)
      layers[k]!.us.push((c.user + c.system) / (r.rps * window))
    }
  console.log(
    `chat messages served over loopback to ${load.tool}, 50 connections, ${rounds} rounds of ${window} s a layer ` +
      `(bun scripts/bench/read-ladder.ts --served --rounds ${rounds} --window ${window} --db ${path})`,
  )
  table()
  process.exit(0)
}

const BATCH = 100
let offset = 0
async function batch(l: Layer, keep: boolean) {
  const c0 = process.cpuUsage()
  for (let j = 0; j < BATCH; j++) await (await l.handle(offset + j)).text()
  const c = process.cpuUsage(c0)
  if (keep) l.us.push((c.user + c.system) / BATCH)
}
for (let w = 0; w < 10; w++, offset += BATCH) for (const l of layers) await batch(l, false)
const t0 = performance.now()
for (let round = 0; performance.now() - t0 < seconds * 1000; round++, offset += BATCH)
  for (const l of round % 2 ? [...layers].reverse() : layers) await batch(l, true)

console.log(
  `chat messages, ${appPaths.length} pages, ${layers[0]!.us.length} rounds of ${BATCH} requests a layer ` +
    `(bun scripts/bench/read-ladder.ts --seconds ${seconds} --db ${path})`,
)
table()
process.exit(0)

/** Each layer's median CPU per request, its paired step over the layer above, and raw's over it. */
function table() {
  console.log('layer       µs CPU/request   + over the layer above   raw/this')
  layers.forEach((l, k) => {
    const step = k ? median(l.us.map((u, i) => u - layers[k - 1]!.us[i]!)) : 0
    const ratio = median(layers[0]!.us.map((r, i) => r / l.us[i]!))
    console.log(
      `${l.name.padEnd(10)} ${median(l.us).toFixed(1).padStart(12)} ${(k ? `${step >= 0 ? '+' : ''}${step.toFixed(1)}` : '').padStart(22)} ${ratio.toFixed(3).padStart(12)}`,
    )
  })
}
