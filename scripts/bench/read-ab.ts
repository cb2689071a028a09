// The read path's CPU cost per request, A/B in one process: for a loaded machine, where wrk's req/s (read.ts) moves
// with the neighbours' load far more than the change under test. The raw route and the app, built from this
// checkout and from each `--base` checkout, serve the same pages of one listing through `handle(Request)` (no
// sockets: what differs between them is all there), in batches of 100 requests taken in turn, the order reversed
// every round; each batch's process CPU time per request is paired with its neighbours of the same round, so a
// drift of the machine's load hits both sides of a pair alike.
//   bun scripts/bench/read-ab.ts [--listing chats|messages|channel] [--seconds 30] [--base <dir>]…
//     [--db <file from an earlier run>] [--chats 100000] [--messages 1000000]
// A base checkout: `mkdir /tmp/base && git archive <rev> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`.
import { mkdtempSync, existsSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { arg, root } from './lib.ts'
import { bigChat, channel, seed } from './read-seed.ts'

const value = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}
const bases = process.argv.flatMap((a, i) => (a === '--base' ? [process.argv[i + 1]!] : []))
const listing = value('listing') ?? 'messages'
const seconds = arg('seconds', 30)

// The database is kept (its path printed) so further runs can skip the seeding with --db.
let db = value('db')
if (!db) {
  db = join(mkdtempSync(join(tmpdir(), 'wagate-read-ab-')), 'bench.db')
  const secret = Buffer.alloc(32, 9).toString('hex')
  console.error(`seeding ${db} …`)
  const s = await seed(db, Buffer.from(secret, 'hex'), arg('chats', 100_000), arg('messages', 1_000_000))
  writeFileSync(`${db}.json`, JSON.stringify({ ...s, secret }))
}
if (!existsSync(`${db}.json`)) throw new Error(`${db}.json (written by the run that seeded ${db}) is missing`)
const { sid, key, secret } = JSON.parse(readFileSync(`${db}.json`, 'utf8')) as Record<string, string>

const target = { chats: null, messages: bigChat, channel }[listing]
if (target === undefined) throw new Error('--listing chats|messages|channel')
const t = target && encodeURIComponent(target)
const appPath = !t
  ? `/api/v1/sessions/${sid}/chats`
  : `/api/v1/sessions/${sid}/${listing === 'channel' ? 'channels' : 'chats'}/${t}/messages`
const rawPath = (after?: string) =>
  `/${t ? `messages?sid=${sid}&chat=${t}` : `chats?sid=${sid}`}${after ? `&after=${after}` : ''}`

type Side = { name: string; handle: (req: Request) => Response | Promise<Response>; paths: string[]; us: number[] }
const sides: Side[] = []
const headers = { authorization: `Bearer ${key}` }
for (const dir of [root, ...bases]) {
  const { benchApp } = (await import(join(dir, 'scripts/bench/read-server.ts'))) as {
    benchApp: (p: string, k: string) => { handle: (r: Request) => Promise<Response> }
  }
  const app = benchApp(db, secret!)
  sides.push({ name: dir === root ? 'this checkout' : dir, handle: (r) => app.handle(r), paths: [], us: [] })
}
const { rawFetch } = (await import('./read-server.ts')) as typeof import('./read-server.ts')
const raw: Side = { name: 'raw route', handle: rawFetch(db, secret!), paths: [rawPath()], us: [] }

// Up to 400 pages, walked through this checkout's app; the raw route gets each page's keyset values.
const appPaths = [`${appPath}?limit=50`]
for (let i = 0; i < 400; i++) {
  const req = new Request(`http://127.0.0.1${appPaths.at(-1)}`, { headers })
  const body = (await (await sides[0]!.handle(req)).json()) as { nextCursor: string | null }
  if (!body.nextCursor) break
  appPaths.push(`${appPath}?limit=50&cursor=${body.nextCursor}`)
  raw.paths.push(
    rawPath((JSON.parse(Buffer.from(body.nextCursor.split('.')[0]!, 'base64url').toString()) as number[]).join(',')),
  )
}
for (const s of sides) s.paths = appPaths
const all = [raw, ...sides]

const BATCH = 100
let offset = 0
async function batch(s: Side, keep: boolean) {
  const c0 = process.cpuUsage()
  for (let j = 0; j < BATCH; j++) {
    const path = s.paths[(offset + j) % s.paths.length]!
    const res = await s.handle(new Request(`http://127.0.0.1${path}`, s === raw ? {} : { headers }))
    if (res.status !== 200) throw new Error(`${s.name}: ${path} answered ${res.status}`)
    await res.text()
  }
  const c = process.cpuUsage(c0)
  if (keep) s.us.push((c.user + c.system) / BATCH)
}
for (let w = 0; w < 10; w++, offset += BATCH) for (const s of all) await batch(s, false)
const t0 = performance.now()
for (let round = 0; performance.now() - t0 < seconds * 1000; round++, offset += BATCH)
  for (const s of round % 2 ? [...all].reverse() : all) await batch(s, true)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const rounds = raw.us.length
console.log(
  `listing ${listing}: ${appPaths.length} pages, ${rounds} rounds of ${BATCH} requests a side ` +
    `(bun scripts/bench/read-ab.ts --listing ${listing} --seconds ${seconds}${bases.map((b) => ` --base ${b}`).join('')})`,
)
for (const s of all) {
  const ratio = median(raw.us.map((r, i) => r / s.us[i]!))
  console.log(
    `  ${s.name}: ${median(s.us).toFixed(1)} µs CPU per request (median batch)` +
      (s === raw ? '' : `, raw/this ${ratio.toFixed(3)} (median of the rounds' ratios)`),
  )
}
for (const b of sides.slice(1)) {
  const d = median(sides[0]!.us.map((u, i) => u - b.us[i]!))
  console.log(
    `  this checkout − ${b.name}: ${d >= 0 ? '+' : ''}${d.toFixed(1)} µs per request (median of paired rounds)`,
  )
}
process.exit(0)
