// End-to-end inbound messages per second: simulator contacts send a burst to linked sessions of ONE gateway process
// (Signal decrypt in Baileys, ingest transaction, outbox event, receipt), timed from the send until every message is
// in the gateway's database. Ceiling, same run: the same simulator delivering the same burst to bare Baileys clients
// that store nothing (scripts/bench/simulator.ts --spawn).
//   bun scripts/bench/inbound.ts [--messages 5000] [--sessions 1,10]
// The simulator and the gateway are separate child processes, so on 2 cores each has one.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  arg,
  countMessages,
  cpuSeconds,
  fmt,
  linkSessions,
  ratioRow,
  report,
  spawnGateway,
  spawnSimulator,
  waitFor,
} from './lib.ts'

const MESSAGES = arg('messages', 5000)
const i = process.argv.indexOf('--sessions')
const SIZES = (i > 0 ? process.argv[i + 1]! : '1,10').split(',').map(Number)

/** Bare Baileys clients (no wagate) receiving the same burst: what the simulator + Baileys allow at most. */
function ceiling(clients: number): number {
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
    { stdout: 'pipe', stderr: 'pipe', timeout: 180_000 },
  )
  const m = /inbound messages: \d+ in [\d.]+ s = (\d+) msgs\/s/.exec(p.stdout.toString())
  if (!m) throw new Error(`simulator.ts gave no figure:\n${p.stdout}\n${p.stderr}`)
  return Number(m[1])
}

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-inbound-'))
const sim = await spawnSimulator()
const gw = await spawnGateway(dir, sim)
const rows: Array<{ sessions: number; perSec: number; ceiling: number; gwCpu: number; simCpu: number }> = []
try {
  const owners: string[] = []
  for (const n of SIZES) {
    const fresh = Array.from({ length: n - owners.length }, (_, k) => String(6281100000000 + owners.length + k))
    await linkSessions(gw, sim, fresh)
    owners.push(...fresh)
    const contacts = owners.slice(0, n).map((o) => String(Number(o) + 1_000_000))
    for (const c of contacts) await sim.control('POST', '/accounts', { phone: c, name: `Contact ${c}` }).catch(() => 0)
    // Warm-up: the first message of a pair is a pkmsg (new Signal session); keep that out of the timed burst.
    const warm = `warm-${n}`
    const warmed = countMessages(dir, warm)
    for (let k = 0; k < n; k++)
      await sim.control('POST', `/accounts/${contacts[k]}/messages`, { to: owners[k], text: warm })
    await waitFor('warm-up stored', () => warmed() >= n, 30_000)

    const text = `bench-${n}`
    const stored = countMessages(dir, text)
    const per = Math.ceil(MESSAGES / n)
    const [g0, s0] = [await cpuSeconds(gw.proc.pid), await cpuSeconds(sim.pid)]
    const t0 = performance.now()
    await Promise.all(
      contacts.map((c, k) => sim.control('POST', `/accounts/${c}/messages`, { to: owners[k], text, count: per })),
    )
    await waitFor(`${per * n} messages stored`, () => stored() >= per * n, 180_000, 10)
    const secs = (performance.now() - t0) / 1000
    const [g1, s1] = [await cpuSeconds(gw.proc.pid), await cpuSeconds(sim.pid)]
    const perSec = Math.round((per * n) / secs)
    console.log(
      `${n} session(s): ${per * n} messages stored in ${secs.toFixed(2)} s = ${perSec} msgs/s ` +
        `(gateway CPU ${(g1 - g0).toFixed(2)} s, simulator CPU ${(s1 - s0).toFixed(2)} s)`,
    )
    rows.push({ sessions: n, perSec, ceiling: 0, gwCpu: g1 - g0, simCpu: s1 - s0 })
  }
} finally {
  await gw.stop('SIGTERM')
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}
// The ceilings run after the gateway is gone, so they never compete with it for a core.
for (const r of rows) {
  r.ceiling = ceiling(r.sessions)
  console.log(`${r.sessions} bare Baileys client(s), no store: ${r.ceiling} msgs/s (ceiling)`)
}
console.log(`command: bun scripts/bench/inbound.ts --messages ${MESSAGES} --sessions ${SIZES.join(',')}`)
report(
  rows.map((r) =>
    ratioRow({
      metric: `inbound end to end, ${r.sessions} session${r.sessions > 1 ? 's' : ''}, 1 process (msg/s)`,
      measured: `${fmt(r.perSec)} msg/s`,
      ceiling: `${fmt(r.ceiling)} msg/s (bare Baileys, no store)`,
      ratio: r.perSec / r.ceiling,
      min: 0.6,
      data: r,
    }),
  ),
)
