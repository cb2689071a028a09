// Read path benchmark: the three stored listings, each walked page by page (limit 50) through the API, against
// its own raw route serving the same JSON (read-server.ts raw mode: one prepared bun:sqlite statement, the same
// row mapping and signed cursor, no framework/auth/ownership check):
//   chats — GET /sessions/:sid/chats over 100k chats (1M messages in the db)
//   chat messages — GET /sessions/:sid/chats/:cid/messages over one chat of 20k messages
//   channel messages — GET /sessions/:sid/channels/:jid/messages over one channel of 20k posts
//   bun scripts/bench/read.ts [--chats 100000] [--messages 1000000] [--connections 50] [--seconds 5] [--rounds 6]
// Each round loads raw and app for --seconds each (alternating which goes first); the ratio is taken per round, the
// table shows the median and the spread. Each round also reads the CPU time each server process spent (utime + stime
// from /proc) per request served: on a shared machine the throughput of one 5 s window moves with the neighbours'
// load far more than the CPU a request costs, so the CPU ratio (raw's CPU per request over the app's) is the figure
// that holds under drift, and the two should agree on a quiet machine.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { arg, fmt, median, ratioRow, report } from './lib.ts'
import { loader, type LoadResult } from './load.ts'
import { bigChat, channel, LONG, seed } from './read-seed.ts'

const nChats = arg('chats', 100_000)
const nMessages = arg('messages', 1_000_000)
const connections = arg('connections', 50)
const seconds = arg('seconds', 5)
const rounds = arg('rounds', 6)
const pi = process.argv.indexOf('--profile')
const profile = pi > 0 ? process.argv[pi + 1] : null

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-read-'))
const path = join(dir, 'bench.db')
const secret = randomBytes(32)
async function serve(mode: 'app' | 'raw') {
  // --profile <dir>: the app server runs under `bun --cpu-prof`, its .cpuprofile written to <dir> when it stops.
  const prof = mode === 'app' && profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []
  const proc = Bun.spawn(
    [process.execPath, ...prof, join(import.meta.dir, 'read-server.ts'), path, mode, secret.toString('hex')],
    {
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  const { value } = await (proc.stdout as ReadableStream<Uint8Array>).getReader().read()
  const { port } = JSON.parse(new TextDecoder().decode(value)) as { port: number }
  return { url: `http://127.0.0.1:${port}`, pid: proc.pid, stop: () => (proc.kill('SIGTERM'), proc.exited) }
}

/** CPU seconds (user + system, all threads) a process has used so far; Linux only, null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null
  }
}

type Measured = LoadResult & { cpuUs: number | null }
/** One load window against one server, with the server's CPU microseconds per request served in it. */
async function measure(server: { url: string; pid: number }, paths: string[], headers: Record<string, string>) {
  const before = cpuSeconds(server.pid)
  const r = await load.run(server.url, paths, headers, { connections, seconds })
  const after = cpuSeconds(server.pid)
  const served = r.rps * seconds
  const cpuUs = before === null || after === null || !served ? null : ((after - before) * 1e6) / served
  return { ...r, cpuUs } as Measured
}

const t0 = performance.now()
console.error(`seeding ${nChats} chats and ${nMessages} messages (+ a chat and a channel of ${LONG} each) …`)
const { sid, key } = await seed(path, secret, nChats, nMessages)
console.error(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
const auth = { authorization: `Bearer ${key}` }
const load = loader(dir)

type Listing = { name: string; app: string; raw: (after: string) => string; rawFirst: string }
const listings: Listing[] = [
  {
    name: 'page of 50 chats',
    app: `/api/v1/sessions/${sid}/chats`,
    rawFirst: `/chats?sid=${sid}`,
    raw: (a) => `/chats?sid=${sid}&after=${a}`,
  },
  {
    name: "page of 50 of a chat's messages",
    app: `/api/v1/sessions/${sid}/chats/${encodeURIComponent(bigChat)}/messages`,
    rawFirst: `/messages?sid=${sid}&chat=${encodeURIComponent(bigChat)}`,
    raw: (a) => `/messages?sid=${sid}&chat=${encodeURIComponent(bigChat)}&after=${a}`,
  },
  {
    name: "page of 50 of a channel's messages",
    app: `/api/v1/sessions/${sid}/channels/${encodeURIComponent(channel)}/messages`,
    rawFirst: `/messages?sid=${sid}&chat=${encodeURIComponent(channel)}`,
    raw: (a) => `/messages?sid=${sid}&chat=${encodeURIComponent(channel)}&after=${a}`,
  },
]

const app = await serve('app')
const raw = await serve('raw')
const rows = []
try {
  for (const l of listings) {
    // Walk the whole listing once through the API: every page's cursor, and its keyset values for the raw route.
    const appPaths = [`${l.app}?limit=50`]
    const rawPaths = [l.rawFirst]
    for (let cursor: string | null = null; ;) {
      const body = (await (await fetch(`${app.url}${appPaths.at(-1)}`, { headers: auth })).json()) as {
        nextCursor: string | null
      }
      cursor = body.nextCursor
      if (!cursor) break
      appPaths.push(`${l.app}?limit=50&cursor=${cursor}`)
      rawPaths.push(
        l.raw((JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString()) as number[]).join(',')),
      )
    }
    // The ceiling must serve the very same bytes, or the ratio compares different work.
    for (const i of [0, appPaths.length >> 1, appPaths.length - 1]) {
      const [a, r] = await Promise.all([
        fetch(`${app.url}${appPaths[i]}`, { headers: auth }).then((x) => x.text()),
        fetch(`${raw.url}${rawPaths[i]}`).then((x) => x.text()),
      ])
      if (a !== r)
        throw new Error(
          `${l.name}: page ${i} differs between the app and the raw route:\n${a.slice(0, 300)}\n${r.slice(0, 300)}`,
        )
    }
    console.error(`${l.name}: ${appPaths.length} pages, same JSON on both; ${rounds} rounds of ${seconds} s each …`)
    const warm = { connections, seconds: 2 }
    await load.run(raw.url, rawPaths, {}, warm)
    await load.run(app.url, appPaths, auth, warm)
    const ceilings: Measured[] = []
    const ours: Measured[] = []
    for (let k = 0; k < rounds; k++) {
      // Odd rounds load the app first: on a shared machine the load drifts, and a fixed order would favour one side.
      const runRaw = () => measure(raw, rawPaths, {})
      const runApp = () => measure(app, appPaths, auth)
      if (k % 2) {
        ours.push(await runApp())
        ceilings.push(await runRaw())
      } else {
        ceilings.push(await runRaw())
        ours.push(await runApp())
      }
      const [c, o] = [ceilings.at(-1)!, ours.at(-1)!]
      const cpu =
        c.cpuUs && o.cpuUs
          ? `; CPU per request raw ${c.cpuUs.toFixed(0)} µs, app ${o.cpuUs.toFixed(0)} µs → ${(c.cpuUs / o.cpuUs).toFixed(2)}`
          : ''
      console.error(
        `  round ${k + 1}: raw ${fmt(c.rps)} req/s (p99 ${c.p99} ms), app ${fmt(o.rps)} req/s (p99 ${o.p99} ms, ` +
          `${o.errors + o.non2xx} errors) → ${(o.rps / c.rps).toFixed(2)}${cpu}`,
      )
    }
    const ratios = ours.map((o, k) => o.rps / ceilings[k]!.rps)
    const cpuRatios = ours.flatMap((o, k) => (o.cpuUs && ceilings[k]!.cpuUs ? [ceilings[k]!.cpuUs! / o.cpuUs] : []))
    const cpuNote = cpuRatios.length
      ? `; CPU per request ${median(ours.map((o) => o.cpuUs ?? 0)).toFixed(0)} µs vs raw ${median(ceilings.map((c) => c.cpuUs ?? 0)).toFixed(0)} µs, ratio ${median(cpuRatios).toFixed(2)} (rounds ${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)})`
      : ''
    const errors = ours.reduce((s, o) => s + o.errors + o.non2xx, 0)
    rows.push(
      ratioRow({
        metric: `read: ${l.name}, ${load.tool} ${connections} connections (median of ${rounds} rounds)`,
        measured: `${fmt(median(ours.map((o) => o.rps)))} req/s, p99 ${median(ours.map((o) => o.p99)).toFixed(1)} ms; round ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}${cpuNote}${errors ? `, ${errors} ERRORS` : ''}`,
        ceiling: `${fmt(median(ceilings.map((c) => c.rps)))} req/s (raw bun:sqlite route, same JSON)`,
        ratio: median(ratios),
        min: 0.9,
        data: {
          ratios: ratios.map((r) => Number(r.toFixed(3))),
          cpuRatios: cpuRatios.map((r) => Number(r.toFixed(3))),
          ours,
          ceilings,
          pages: appPaths.length,
        },
      }),
    )
  }
  console.log(
    `command: bun scripts/bench/read.ts --chats ${nChats} --messages ${nMessages} --connections ${connections} --seconds ${seconds} --rounds ${rounds}`,
  )
  report(rows)
} finally {
  await app.stop()
  await raw.stop()
  rmSync(dir, { recursive: true, force: true })
}
