// End-to-end inbound messages per second: simulator contacts send a burst to linked sessions of ONE gateway process
// (Signal decrypt in Baileys, one transaction with the key writes, message, chat and outbox event, then the receipt),
// timed from the send until every message is in the gateway's database. Ceiling: the same simulator delivering the
// same burst to bare Baileys clients that store nothing (scripts/bench/simulator.ts --spawn). Each run of the gateway
// is paired with a ceiling run right after it, and the ratio is taken pair by pair, so a machine whose load drifts
// compares like with like; the median pair and the spread are reported.
//
// The webhook row: the same burst to one session, timed until a receiver on 127.0.0.1 has answered 2xx to every
// `message.received` delivery (signed, with attempt records), against bare Baileys receiving the same burst.
//   bun scripts/bench/inbound.ts [--messages 2000] [--sessions 1,10,50] [--runs 3] [--no-webhook]
// The simulator and the gateway are separate child processes, so on 2 cores each has one.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  arg,
  countMessages,
  cpuSeconds,
  flag,
  fmt,
  linkSessions,
  median,
  ratioRow,
  report,
  spawnGateway,
  spawnSimulator,
  waitFor,
} from './lib.ts'

const MESSAGES = arg('messages', 2000)
const RUNS = arg('runs', 3)
const i = process.argv.indexOf('--sessions')
const SIZES = (i > 0 ? process.argv[i + 1]! : '1,10,50').split(',').map(Number)
const WEBHOOK = !flag('no-webhook')
const TARGET = 0.6
const WEBHOOK_TARGET = 0.5

/**
 * Bare Baileys clients (no wagate) receiving the same burst: what the simulator + Baileys allow at most, in msgs/s
 * and in CPU seconds of the clients' process.
 */
function ceiling(clients: number): { perSec: number; cpu: number } {
  const p = Bun.spawnSync(
    [
      process.execPath,
      join(import.meta.dir, 'simulator.ts'),
      '--spawn',
      '--accounts',
      String(clients * 2),
      '--clients',
      String(clients),
      '--messages',
      String(MESSAGES),
    ],
    { stdout: 'pipe', stderr: 'pipe', timeout: 300_000 },
  )
  const m = /inbound messages: \d+ in [\d.]+ s = (\d+) msgs\/s/.exec(p.stdout.toString())
  const cpu = /clients CPU: ([\d.]+) s/.exec(p.stdout.toString())
  if (!m || !cpu) throw new Error(`simulator.ts gave no figure:\n${p.stdout}\n${p.stderr}`)
  return { perSec: Number(m[1]), cpu: Number(cpu[1]) }
}

/** A webhook receiver on 127.0.0.1 that counts `message.received` deliveries carrying `text` and answers 204. */
function receiver() {
  const seen = new Map<string, number>()
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as { type: string; data: { body?: string } }
      if (body.type === 'message.received' && body.data.body)
        seen.set(body.data.body, (seen.get(body.data.body) ?? 0) + 1)
      return new Response(null, { status: 204 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/hook`, count: (text: string) => seen.get(text) ?? 0, server }
}

/**
 * One gateway run and the ceiling run after it. `cpuRatio` is bare Baileys' CPU per message over the gateway's: the
 * throughput ratio one would see if each process had its core to itself, and steadier than `ratio` on a loaded host.
 */
type Pair = { perSec: number; ceiling: number; ratio: number; gwCpu: number; cpuRatio: number }
type Row = {
  sessions: number
  perSec: number
  ceiling: number
  ratio: number
  min: number
  max: number
  gwCpu: number
  cpuRatio: number
}
const summary = (sessions: number, pairs: Pair[]): Row => ({
  sessions,
  perSec: median(pairs.map((p) => p.perSec)),
  ceiling: median(pairs.map((p) => p.ceiling)),
  ratio: median(pairs.map((p) => p.ratio)),
  min: Math.min(...pairs.map((p) => p.ratio)),
  max: Math.max(...pairs.map((p) => p.ratio)),
  gwCpu: median(pairs.map((p) => p.gwCpu)),
  cpuRatio: median(pairs.map((p) => p.cpuRatio)),
})
const pair = (g: { perSec: number; gwCpu: number }, c: { perSec: number; cpu: number }): Pair => ({
  ...g,
  ceiling: c.perSec,
  ratio: g.perSec / c.perSec,
  cpuRatio: c.cpu / g.gwCpu,
})

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-inbound-'))
const sim = await spawnSimulator()
const gw = await spawnGateway(dir, sim, ['--egress-allow', '127.0.0.0/8'])
const hooks = WEBHOOK ? receiver() : null
const rows: Row[] = []
let webhook: Row | null = null
try {
  const owners: string[] = []
  const contactOf = (owner: string) => String(Number(owner) + 1_000_000)
  /** One timed burst of MESSAGES to the first `n` sessions, done when `done()` (made at its start) reaches the count. */
  async function burst(
    n: number,
    text: string,
    counter: (text: string) => () => number,
  ): Promise<{ perSec: number; gwCpu: number }> {
    const per = Math.ceil(MESSAGES / n)
    const done = counter(text)
    const g0 = await cpuSeconds(gw.proc.pid)
    const t0 = performance.now()
    await Promise.all(
      owners
        .slice(0, n)
        .map((o) => sim.control('POST', `/accounts/${contactOf(o)}/messages`, { to: o, text, count: per })),
    )
    await waitFor(`${per * n} messages`, () => done() >= per * n, 300_000, 10)
    const secs = (performance.now() - t0) / 1000
    return { perSec: Math.round((per * n) / secs), gwCpu: (await cpuSeconds(gw.proc.pid)) - g0 }
  }
  // Rows stored since the burst began, by the newest pk: a counting scan of the growing table every 10 ms would take
  // a good part of a core from the gateway on a two-core host (bare Baileys counts in memory).
  const db = new Database(join(dir, 'wagate.db'), { readonly: true })
  const maxPk = db.query<{ pk: number | null }, []>('SELECT max(pk) AS pk FROM messages')
  const stored = () => {
    const base = maxPk.get()?.pk ?? 0
    return () => (maxPk.get()?.pk ?? 0) - base
  }
  for (const n of SIZES) {
    const fresh = Array.from({ length: n - owners.length }, (_, k) => String(6281100000000 + owners.length + k))
    await linkSessions(gw, sim, fresh)
    owners.push(...fresh)
    for (const o of fresh) await sim.control('POST', '/accounts', { phone: contactOf(o), name: `Contact ${o}` })
    // Warm-up: the first message of a pair is a pkmsg (new Signal session); keep that out of the timed burst.
    for (const o of fresh) await sim.control('POST', `/accounts/${contactOf(o)}/messages`, { to: o, text: 'warm' })
    const warmed = countMessages(dir, 'warm')
    await waitFor('warm-up stored', () => warmed() >= owners.length, 60_000)
    const pairs: Pair[] = []
    for (let r = 1; r <= RUNS; r++) {
      const p = pair(await burst(n, `bench-${n}-${r}`, stored), ceiling(n))
      pairs.push(p)
      console.log(
        `${n} session(s), run ${r}: ${p.perSec} msgs/s stored (gateway CPU ${p.gwCpu.toFixed(2)} s); ` +
          `${n} bare Baileys client(s): ${p.ceiling} msgs/s; ratio ${p.ratio.toFixed(2)}, CPU ratio ${p.cpuRatio.toFixed(2)}`,
      )
    }
    rows.push(summary(n, pairs))
  }
  if (hooks) {
    const created = await gw.api('/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: hooks.url, events: ['message.received'] }),
    })
    if (created.status !== 201) throw new Error(`create webhook: ${created.status} ${JSON.stringify(created.body)}`)
    const pairs: Pair[] = []
    for (let r = 1; r <= RUNS; r++) {
      const p = pair(await burst(1, `webhook-${r}`, (text) => () => hooks.count(text)), ceiling(1))
      pairs.push(p)
      console.log(
        `webhook, run ${r}: ${p.perSec} msgs/s acknowledged by the receiver; bare Baileys: ${p.ceiling} msgs/s; ` +
          `ratio ${p.ratio.toFixed(2)}, CPU ratio ${p.cpuRatio.toFixed(2)}`,
      )
    }
    webhook = summary(1, pairs)
  }
} finally {
  await gw.stop('SIGTERM')
  await sim.stop()
  hooks?.server.stop(true)
  rmSync(dir, { recursive: true, force: true })
}
const spread = (r: Row) =>
  `ratio ${r.ratio.toFixed(2)} (runs ${r.min.toFixed(2)}–${r.max.toFixed(2)}), CPU ratio ${r.cpuRatio.toFixed(2)}`
for (const r of rows) console.log(`${r.sessions} session(s): ${r.perSec} vs ${r.ceiling} msgs/s, ${spread(r)}`)
if (webhook) console.log(`webhook: ${webhook.perSec} vs ${webhook.ceiling} msgs/s, ${spread(webhook)}`)
console.log(
  `command: bun scripts/bench/inbound.ts --messages ${MESSAGES} --sessions ${SIZES.join(',')} --runs ${RUNS}` +
    (WEBHOOK ? '' : ' --no-webhook'),
)
const row = (metric: string, r: Row, min: number) =>
  ratioRow({
    metric,
    measured: `${fmt(r.perSec)} msg/s (median of ${RUNS})`,
    ceiling: `${fmt(r.ceiling)} msg/s (bare Baileys, no store; ratio pair by pair ${r.min.toFixed(2)}–${r.max.toFixed(2)})`,
    ratio: r.ratio,
    min,
    data: r,
  })
report([
  ...rows.map((r) =>
    row(`inbound end to end, ${r.sessions} session${r.sessions > 1 ? 's' : ''}, 1 process (msg/s)`, r, TARGET),
  ),
  ...(webhook
    ? [
        row(
          'inbound to the webhook: burst of 2,000 → every message.received acknowledged (msg/s)',
          webhook,
          WEBHOOK_TARGET,
        ),
      ]
    : []),
])
