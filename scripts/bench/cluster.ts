// Scale-out figures with built binaries (test/cluster/cluster-harness.ts): the same inbound load, a burst from one
// contact to each of --sessions linked sessions, timed from the send until every message is stored, on
//   1 node on SQLite, 1 node on PostgreSQL, --nodes nodes on PostgreSQL (one database, shared key, default leases),
// each configuration with its own simulator and sessions, all three up at once and their runs alternated so a drift
// in the machine's load hits each alike. Then the failover of the multi-node cluster: SIGKILL of the node holding the
// most sessions → every one of them connected again on the others (the simulator sees the device log in again; no
// QR), and a drain: SIGTERM of another node → its sessions connected on the rest. The leases are the defaults (TTL
// 10 s, renew 2 s, deadline 6 s), so the failover figure is what an operator gets.
//   bun scripts/bench/cluster.ts [--sessions 30] [--per 100] [--runs 3] [--nodes 3]
import { Database } from 'bun:sqlite'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { startCluster, type Cluster, type Device } from '../../test/cluster/cluster-harness.ts'
import { arg, cpuSeconds, fmt, median, ratioRow, report, waitFor, type BenchRow } from './lib.ts'

const SESSIONS = arg('sessions', 30)
const PER = arg('per', 100)
const RUNS = arg('runs', 3)
const NODES = arg('nodes', 3)
const DEFAULTS = { ttlMs: 10_000, renewMs: 2_000, deadlineMs: 6_000 }
const load = () => loadavg()[0]!.toFixed(2)
const owners = Array.from({ length: SESSIONS }, (_, i) => String(6281900000000 + i))
const contactOf = (o: string) => String(Number(o) + 1_000_000)

type Setup = {
  label: string
  cluster: Cluster
  /** Messages stored after the mark `since()` returned. */
  since(): Promise<() => Promise<number>>
  perSec: number[]
  cpu: number[]
}

async function setup(label: string, database: 'sqlite' | 'postgres', nodes: number): Promise<Setup> {
  const cluster = await startCluster({ database, timings: DEFAULTS })
  try {
    return await prepare(label, cluster, database, nodes)
  } catch (e) {
    await cluster.stop()
    throw e
  }
}

async function prepare(label: string, cluster: Cluster, database: 'sqlite' | 'postgres', nodes: number) {
  const names = Array.from({ length: nodes }, (_, i) => String.fromCharCode(97 + i))
  await cluster.startNode(names[0]!)
  await Promise.all(names.slice(1).map((n) => cluster.startNode(n)))
  const t0 = performance.now()
  await cluster.link(owners, [...cluster.nodes.values()])
  console.log(`${label}: ${SESSIONS} sessions linked in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  for (const o of owners) await cluster.sim('POST', '/accounts', { phone: contactOf(o), name: `Contact ${o}` })
  let count: (base: number) => Promise<number>
  let maxPk: () => Promise<number>
  if (database === 'sqlite') {
    const db = new Database(join(cluster.dataDirOf('a'), 'wagate.db'), { readonly: true })
    const q = db.query<{ n: number }, [number]>('SELECT count(*) AS n FROM messages WHERE pk > ?')
    const m = db.query<{ pk: number | null }, []>('SELECT max(pk) AS pk FROM messages')
    count = async (base) => q.get(base)!.n
    maxPk = async () => m.get()!.pk ?? 0
  } else {
    const sql = cluster.sql!
    count = async (base) => ((await sql`SELECT count(*)::int AS n FROM messages WHERE pk > ${base}`) as any)[0].n
    maxPk = async () => Number(((await sql`SELECT coalesce(max(pk), 0) AS pk FROM messages`) as any)[0].pk)
  }
  const since = async () => {
    const base = await maxPk()
    return () => count(base)
  }
  // Warm-up: each pair's first message opens its Signal session (a pkmsg); keep that out of the timed bursts.
  const warm = await since()
  for (const o of owners) await cluster.sim('POST', `/accounts/${contactOf(o)}/messages`, { to: o, text: 'warm' })
  await waitFor(`${label}: warm-up stored`, async () => (await warm()) >= SESSIONS, 60_000, 50)
  return { label, cluster, since, perSec: [], cpu: [] } satisfies Setup
}

/** One timed burst: PER messages to each session; the msgs/s until all are stored and the nodes' CPU seconds. */
async function burst(s: Setup, run: number): Promise<void> {
  const pids = [...s.cluster.nodes.values()].map((n) => n.pid)
  const cpu0 = (await Promise.all(pids.map((pid) => cpuSeconds(pid)))).reduce((x, y) => x + y, 0)
  const stored = await s.since()
  const t0 = performance.now()
  await Promise.all(
    owners.map((o) =>
      s.cluster.sim('POST', `/accounts/${contactOf(o)}/messages`, { to: o, text: `run ${run}`, count: PER }),
    ),
  )
  await waitFor(`${s.label}: ${SESSIONS * PER} stored`, async () => (await stored()) >= SESSIONS * PER, 600_000, 20)
  const secs = (performance.now() - t0) / 1000
  const cpu = (await Promise.all(pids.map((pid) => cpuSeconds(pid)))).reduce((x, y) => x + y, 0) - cpu0
  s.perSec.push((SESSIONS * PER) / secs)
  s.cpu.push(cpu)
  console.log(
    `${s.label}, run ${run}: ${fmt((SESSIONS * PER) / secs)} msgs/s, gateway CPU ${cpu.toFixed(1)} s (load ${load()})`,
  )
}

/** Signals the node holding the most sessions and times until each of them is connected on another node. */
async function move(c: Cluster, signal: 'SIGKILL' | 'SIGTERM'): Promise<{ ms: number; sessions: number }> {
  const leases = await c.leases()
  const names = [...c.nodes.keys()]
  const held = (n: string) => [...leases.values()].filter((l) => l.node === n).length
  const victim = c.nodes.get(names.sort((x, y) => held(y) - held(x))[0]!)!
  const phoneOf = new Map(
    ((await c.sql!`SELECT id, name FROM sessions`) as { id: string; name: string }[]).map((r) => [r.id, r.name]),
  )
  const phones = [...leases].filter(([, l]) => l.node === victim.name).map(([sid]) => phoneOf.get(sid)!)
  const before: Map<string, Device> = await c.devices(phones)
  const t0 = performance.now()
  c.signal(victim, signal)
  await waitFor(
    `${signal}: sessions connected elsewhere`,
    async () => {
      const now = await c.devices(phones)
      return phones.every((p) => now.get(p)!.state === 'connected' && now.get(p)!.logins > before.get(p)!.logins)
    },
    120_000,
    50,
  )
  const ms = performance.now() - t0
  const after = await c.devices(phones)
  if (phones.some((p) => after.get(p)!.id !== before.get(p)!.id)) throw new Error('a session was paired again')
  console.log(`${signal} of ${victim.name}: its ${phones.length} sessions connected elsewhere in ${ms.toFixed(0)} ms`)
  return { ms, sessions: phones.length }
}

const setups: Setup[] = []
const rows: BenchRow[] = []
try {
  setups.push(await setup('1 node on SQLite', 'sqlite', 1))
  setups.push(await setup('1 node on PostgreSQL', 'postgres', 1))
  setups.push(await setup(`${NODES} nodes on PostgreSQL`, 'postgres', NODES))
  for (let r = 1; r <= RUNS; r++) for (const s of setups) await burst(s, r)
  const cluster = setups[2]!.cluster
  const killed = await move(cluster, 'SIGKILL')
  const drained = await move(cluster, 'SIGTERM')

  const [sqlite, pg1, pgN] = setups.map((s) => ({
    perSec: median(s.perSec),
    cpuPer1k: median(s.cpu) / ((SESSIONS * PER) / 1000),
    runs: s.perSec.map(Math.round),
  })) as [any, any, any]
  const load_ = `burst of ${fmt(SESSIONS * PER)} to ${SESSIONS} sessions`
  const figure = (x: { perSec: number; cpuPer1k: number }) =>
    `${fmt(x.perSec)} msg/s (median of ${RUNS}), gateway CPU ${x.cpuPer1k.toFixed(2)} s per 1,000`
  rows.push({
    metric: `cluster inbound, ${load_}: 1 node on SQLite (msg/s)`,
    measured: figure(sqlite),
    data: sqlite,
  })
  rows.push(
    ratioRow({
      metric: `cluster inbound, ${load_}: 1 node on PostgreSQL (msg/s)`,
      measured: figure(pg1),
      ceiling: `${fmt(sqlite.perSec)} msg/s (1 node on SQLite)`,
      ratio: pg1.perSec / sqlite.perSec,
      data: pg1,
    }),
  )
  rows.push(
    ratioRow({
      metric: `cluster inbound, ${load_}: ${NODES} nodes on PostgreSQL (msg/s)`,
      measured: figure(pgN),
      ceiling: `${fmt(pg1.perSec)} msg/s (1 node on PostgreSQL)`,
      ratio: pgN.perSec / pg1.perSec,
      data: pgN,
    }),
  )
  const leases = `leases TTL ${DEFAULTS.ttlMs / 1000} s, renew ${DEFAULTS.renewMs / 1000} s`
  rows.push({
    metric: `cluster failover: SIGKILL of 1 of ${NODES} nodes → its ${killed.sessions} sessions connected on the others, no QR (${leases})`,
    measured: `${(killed.ms / 1000).toFixed(1)} s`,
    target: '≤ 20 s',
    met: killed.ms <= 20_000,
    data: killed,
  })
  rows.push({
    metric: `cluster drain: SIGTERM of 1 of ${NODES - 1} nodes → its ${drained.sessions} sessions connected on the other`,
    measured: `${(drained.ms / 1000).toFixed(1)} s`,
    data: drained,
  })
} finally {
  for (const s of setups) await s.cluster.stop()
}
console.log(
  `command: bun scripts/bench/cluster.ts --sessions ${SESSIONS} --per ${PER} --runs ${RUNS} --nodes ${NODES} (load ${load()})`,
)
report(rows)
