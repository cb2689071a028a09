// Shared pieces of the benchmark scripts: flags, the simulator and the gateway as child processes (so each has its
// own core and its own RSS), linking sessions through the public API, and the one-line result the entry point reads.
import { Database } from 'bun:sqlite'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startGateway, type GatewayProcess } from '../../test/helpers/gateway-process.ts'
import { simControl } from '../../test/helpers/sim-control.ts'
import { waitFor } from '../../test/helpers/wait.ts'

export const root = join(import.meta.dir, '..', '..')

export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
export const flag = (name: string) => process.argv.includes(`--${name}`)

/**
 * One row of the `npm run bench` table. The contract between a benchmark script and index.ts: a script prints
 * its rows as ONE stdout line `BENCH {"rows":[…]}` (see `report`), and index.ts prints them as they are, so a
 * new benchmark needs no code in index.ts beyond its entry in the list. Everything else a script prints is for
 * humans (index.ts passes it to stderr).
 */
export type BenchRow = {
  /** What was measured, with its conditions: 'read: page of 50 chats, wrk 50 connections'. */
  metric: string
  /** The figure as a reader wants it: '9,120 req/s, p99 11 ms'. */
  measured: string
  /** The ceiling with its figure, measured in the same run: '10,050 req/s (raw bun:sqlite route)'. */
  ceiling?: string
  /** measured / ceiling (for times: ceiling / measured), so higher is always better. */
  ratio?: number
  /** The target as the issue states it: '≥ 0.9 of ceiling'. */
  target?: string
  /** Whether the target is met (absent when the row has no target). */
  met?: boolean
  /** The raw figures behind the row, for comparing runs. */
  data?: Record<string, unknown>
}

/** Prints the rows index.ts reads: one line, `BENCH {"rows":[…]}`. */
export function report(rows: BenchRow[]): void {
  console.log(`BENCH ${JSON.stringify({ rows })}`)
}

/** Thousands-separated integer, as the table shows counts and rates. */
export const fmt = (x: number) => Math.round(x).toLocaleString('en')

/**
 * A ratio as the table shows it: two decimals, unless they would round a miss up to its minimum (0.896 against 0.9
 * would read "0.90 ❌"); then three, rounded down.
 */
export const shownRatio = (ratio: number, min?: number) =>
  min !== undefined && ratio < min && Number(ratio.toFixed(2)) >= min
    ? Math.floor(ratio * 1000) / 1000
    : Number(ratio.toFixed(2))

/** A row comparing `value` with `ceiling` against a minimum ratio (`min`), the shape most rows share. */
export function ratioRow(o: {
  metric: string
  measured: string
  ceiling: string
  ratio: number
  min?: number
  data?: Record<string, unknown>
}): BenchRow {
  return {
    metric: o.metric,
    measured: o.measured,
    ceiling: o.ceiling,
    ratio: shownRatio(o.ratio, o.min),
    ...(o.min === undefined ? {} : { target: `≥ ${o.min} of ceiling`, met: o.ratio >= o.min }),
    ...(o.data ? { data: o.data } : {}),
  }
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** Resident set size of a process in MB, from /proc (VmRSS). */
export async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

/** CPU seconds (user + system) a process has used so far; with `tid`, that one thread of it (10 ms resolution). */
export async function cpuSeconds(pid: number, tid?: number): Promise<number> {
  const stat = await Bun.file(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`).text()
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/**
 * CPU seconds per thread of a process so far, summed by thread name (Linux, 10 ms resolution): the event loop's
 * thread carries the executable's name (`bun`), Bun's fetch runs on `HTTP Client`, workers are `Worker`. Threads
 * that ended meanwhile drop out of a later reading, so compare names present in both.
 */
export async function threadCpuSeconds(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await Bun.file(`/proc/${pid}/task/${tid}/stat`)
      .text()
      .catch(() => null)
    if (!stat) continue
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100)
  }
  return out
}

/**
 * The host's CPU counters (/proc/stat, all cores): busy cores between two readings is `busyCores(a, b)`; `iowait` and
 * `steal` (time the hypervisor gave this VM's CPUs to others) are in the same ticks as `total`.
 */
export async function hostCpu(): Promise<{
  busy: number
  total: number
  cores: number
  iowait: number
  steal: number
}> {
  const text = await Bun.file('/proc/stat').text()
  const f = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number)
  const total = f.reduce((a, b) => a + b, 0)
  return {
    busy: total - f[3]! - (f[4] ?? 0),
    total,
    cores: (text.match(/^cpu\d+ /gm) ?? []).length,
    iowait: f[4] ?? 0,
    steal: f[7] ?? 0,
  }
}
export const busyCores = (a: Awaited<ReturnType<typeof hostCpu>>, b: Awaited<ReturnType<typeof hostCpu>>) =>
  ((b.busy - a.busy) / Math.max(b.total - a.total, 1)) * b.cores

export { waitFor }

export type Sim = Awaited<ReturnType<typeof spawnSimulator>>

/** `wagate simulator` in a child process: its Signal encryption must not share the gateway's event loop. */
export async function spawnSimulator() {
  // WAGATE_BENCH_SIM_CPU_PROF=dir: the simulator writes a CPU profile there when it exits (bun --cpu-prof).
  const prof = process.env.WAGATE_BENCH_SIM_CPU_PROF
  const bunArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []
  const child = Bun.spawn(
    [process.execPath, ...bunArgs, join(root, 'src', 'simulator', 'cli.ts'), '--port', '0', '--control-port', '0'],
    // WAGATE_BENCH_SIM_LOG=path keeps the simulator's own log (warnings and crashes) for a failed run.
    {
      stdout: 'pipe',
      stderr: process.env.WAGATE_BENCH_SIM_LOG ? Bun.file(process.env.WAGATE_BENCH_SIM_LOG) : 'ignore',
    },
  )
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error('simulator exited before printing its URLs')
    text += new TextDecoder().decode(value)
  }
  const info = JSON.parse(text.slice(0, text.indexOf('\n'))) as {
    wsUrl: string
    controlUrl: string
    rootPublicKey: string
  }
  const raw = simControl(info.controlUrl)
  async function control<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await raw<T>(method, path, body)
    if (res.status >= 300) throw new Error(`simulator ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  return {
    ...info,
    pid: child.pid,
    control,
    env: { WAGATE_WA_URL: info.wsUrl, WAGATE_WA_ROOT_KEY: info.rootPublicKey },
    stop: async () => {
      child.kill('SIGTERM')
      await child.exited
    },
  }
}

/**
 * The gateway (`bun src/main.ts serve`) on `dataDir`, pointed at the simulator, with a typed API caller. A restart on
 * an existing data dir prints no key: pass the first start's `key` as `adminKey`.
 */
export async function spawnGateway(dataDir: string, sim: Sim, args: string[] = [], adminKey?: string) {
  // WAGATE_BENCH_CPU_PROF=dir: the gateway writes a CPU profile there when it exits (bun --cpu-prof).
  const prof = process.env.WAGATE_BENCH_CPU_PROF
  const bunArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []
  // WAGATE_BENCH_SQL_PROFILE=file: the gateway times its SQLite statements into that file (sql-profile.ts).
  const sqlProfile = process.env.WAGATE_BENCH_SQL_PROFILE
  if (sqlProfile) bunArgs.push('--preload', join(import.meta.dir, 'sql-profile.ts'))
  const env = sqlProfile ? { ...sim.env, WAGATE_BENCH_SQL_PROFILE: sqlProfile } : sim.env
  const gw: GatewayProcess = await startGateway({ dataDir, env, timeoutMs: 30_000, args, bunArgs })
  const key = gw.key ?? adminKey
  if (!key) {
    await gw.stop('SIGTERM') // not left running behind the bench
    throw new Error('the gateway printed no admin key and none was given (a restart needs the first one)')
  }
  async function api<T = any>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${gw.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    })
    return { status: res.status, body: (await res.json().catch(() => null)) as T }
  }
  return { ...gw, api }
}
export type Gateway = Awaited<ReturnType<typeof spawnGateway>>

/**
 * Links one session per phone through the public API (create + start, read the QR, scan it on the simulator) and
 * waits until every one is `connected`. `parallel` bounds how many pairings are in flight at once.
 */
export async function linkSessions(gw: Gateway, sim: Sim, phones: string[], parallel = 10): Promise<string[]> {
  const sids: string[] = []
  let next = 0
  async function one(phone: string) {
    await sim.control('POST', '/accounts', { phone, name: `Owner ${phone}` })
    const created = await gw.api<{ id: string }>('/sessions', {
      method: 'POST',
      body: JSON.stringify({ name: phone, start: true }),
    })
    if (created.status >= 300) throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`)
    const sid = created.body.id
    const qr = await waitFor(
      `QR of ${phone}`,
      async () => {
        const r = await gw.api<{ qr: string }>(`/sessions/${sid}/qr`)
        return r.status === 200 ? r.body.qr : null
      },
      30_000,
      50,
    )
    await sim.control('POST', `/accounts/${phone}:scan`, { qr })
    await waitFor(
      `${phone} connected`,
      async () => (await gw.api<{ status: string }>(`/sessions/${sid}`)).body.status === 'connected',
      60_000,
      100,
    )
    sids.push(sid)
  }
  await Promise.all(
    Array.from({ length: Math.min(parallel, phones.length) }, async () => {
      while (next < phones.length) await one(phones[next++]!)
    }),
  )
  return sids
}

/** A read-only handle on the gateway's database, to count stored rows without going through its event loop. */
export function countMessages(dataDir: string, body: string): () => number {
  const db = new Database(join(dataDir, 'wagate.db'), { readonly: true })
  const q = db.query<{ n: number }, [string]>('SELECT count(*) AS n FROM messages WHERE body = ?')
  return () => q.get(body)!.n
}
