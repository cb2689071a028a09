// One gateway process holding many idle sessions: resident memory per session, idle CPU, and the time from boot to
// every session restored and connected.
//   bun scripts/bench/memory.ts [--levels 1,200,1000] [--settle 5] [--idle 60] [--idle-settle 30]
//     [--restore 16:20,8:20 | none]
// 1. Links sessions through the API to simulator accounts (QR scan, pairing, login, pre-keys) up to each level and
//    measures RSS (VmRSS) after --settle idle seconds. Per-session cost is (RSS(n) - RSS(0)) / n; at the first
//    level that is mostly Baileys' one-time initialisation, so the slope between the last two levels is what the
//    next session costs.
// 2. At the top level: the gateway's CPU (user + system, all its threads) over --idle seconds, as % of one core, in
//    10-second windows, after --idle-settle seconds without API calls. Linking and restoring leave ~20 s of follow-up
//    work behind them (pre-key uploads, app-state and history sync, the login's garbage): 9.8 and 8.7 % in the first
//    two windows after linking 1,000, then 3.6-4.9 % (one window of 7.4; 2026-12-02), so that work is reported as
//    its own figure rather than averaged into the idle one.
// 3. For each --restore concurrency:staggerMs: SIGTERM, then a new process on the same data dir with those restore
//    flags; the time from spawn to every session `connected` again and the API's latency meanwhile; after the first,
//    RSS and idle CPU of the restored sessions.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  arg,
  cpuSeconds,
  linkSessions,
  median,
  report,
  rssMb,
  spawnGateway,
  spawnSimulator,
  type BenchRow,
  type Gateway,
} from './lib.ts'

const i = process.argv.indexOf('--levels')
const LEVELS = (i > 0 ? process.argv[i + 1]! : '1,200,1000').split(',').map(Number)
const SETTLE = arg('settle', 5)
const IDLE = arg('idle', 60)
const IDLE_SETTLE = arg('idle-settle', 30)
// Restarts to time, each `concurrency:staggerMs` (the gateway's --restore-concurrency and --restore-stagger-ms).
const ri = process.argv.indexOf('--restore')
const RESTORES = (ri > 0 ? process.argv[ri + 1]! : '16:20')
  .split(',')
  .filter((x) => x && x !== 'none')
  .map((x) => {
    const [c, g] = x.split(':').map(Number)
    return { concurrency: c!, staggerMs: g ?? 0 }
  })
const TOP = LEVELS[LEVELS.length - 1]!

const load = () => loadavg()[0]!.toFixed(2)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-memory-'))
const sim = await spawnSimulator()
let gw: Gateway = await spawnGateway(dir, sim)
const adminKey = gw.key ?? undefined // printed on the first start only; every restart needs it
const db = new Database(join(dir, 'wagate.db'), { readonly: true })
const connectedCount = db.query<{ n: number }, []>("SELECT count(*) AS n FROM sessions WHERE status = 'connected'")

/** Median of three RSS samples a second apart, after `SETTLE` idle seconds. */
async function idleRss(): Promise<number> {
  await Bun.sleep(SETTLE * 1000)
  const xs: number[] = []
  for (let k = 0; k < 3; k++) {
    xs.push(await rssMb(gw.proc.pid))
    await Bun.sleep(1000)
  }
  return median(xs)
}

/** The gateway's CPU in % of one core from `start` until now. */
async function cpuSince(start: { cpu: number; at: number }): Promise<number> {
  return ((await cpuSeconds(gw.proc.pid)) - start.cpu) / ((performance.now() - start.at) / 1000) / 0.01
}

/**
 * The gateway's CPU over `IDLE` seconds of doing nothing, in % of one core, after `IDLE_SETTLE` seconds (whose CPU
 * is `settling`); `windows` are the 10-second parts of the idle measurement.
 */
async function idleCpu(): Promise<{ pct: number; settling: number; windows: number[] }> {
  const mark = async () => ({ cpu: await cpuSeconds(gw.proc.pid), at: performance.now() })
  const s0 = await mark()
  await Bun.sleep(IDLE_SETTLE * 1000)
  const settling = await cpuSince(s0)
  const i0 = await mark()
  const windows: number[] = []
  for (let left = IDLE; left > 0; left -= 10) {
    const w0 = await mark()
    await Bun.sleep(Math.min(10, left) * 1000)
    windows.push(await cpuSince(w0))
  }
  return { pct: await cpuSince(i0), settling, windows }
}

const windowsText = (c: { settling: number; windows: number[] }) =>
  `first ${IDLE_SETTLE} s ${c.settling.toFixed(2)} %, then per 10 s ${c.windows.map((w) => w.toFixed(1)).join(' ')}`

/** The API's latency (GET /sessions?limit=1 every 200 ms) while `during` runs. */
async function probeApi(during: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const lat: number[] = []
  let done = false
  const probe = (async () => {
    while (!done) {
      const s = performance.now()
      await gw.api('/sessions?limit=1')
      lat.push(performance.now() - s)
      await Bun.sleep(200)
    }
  })()
  try {
    await during()
  } finally {
    done = true
    await probe
  }
  lat.sort((x, y) => x - y)
  return { p50: median(lat), p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]! }
}

type Restore = { concurrency: number; staggerMs: number; listeningMs: number; allConnectedMs: number }
const restores: Array<Restore & { cpuMsPerSession: number; apiP50Ms: number; apiP99Ms: number }> = []
const levels: Array<{ sessions: number; rssMb: number; perSessionMb: number }> = []
const out: Record<string, unknown> = {}
try {
  await gw.api('/sessions') // one served request, so the baseline includes the HTTP path's warm state
  const baseline = await idleRss()
  console.log(`0 sessions: ${baseline.toFixed(1)} MB (load ${load()})`)
  let linked = 0
  for (const n of LEVELS) {
    const t0 = performance.now()
    const phones = Array.from({ length: n - linked }, (_, k) => String(6281500000000 + linked + k))
    await linkSessions(gw, sim, phones)
    linked = n
    const linkSecs = (performance.now() - t0) / 1000
    const rss = await idleRss()
    const perSessionMb = (rss - baseline) / n
    levels.push({ sessions: n, rssMb: rss, perSessionMb })
    console.log(
      `${n} sessions (${connectedCount.get()!.n} connected, linked in ${linkSecs.toFixed(1)} s): ` +
        `${rss.toFixed(1)} MB, ${perSessionMb.toFixed(2)} MB per session over the baseline (load ${load()})`,
    )
  }
  const [a, b] = levels.slice(-2)
  const slope = a && b ? (b.rssMb - a.rssMb) / (b.sessions - a.sessions) : (levels[0]?.perSessionMb ?? 0)
  console.log(`slope ${a?.sessions ?? 0}→${b?.sessions ?? TOP} sessions: ${slope.toFixed(3)} MB per session`)
  const idle = await idleCpu()
  const cpu = idle.pct
  const simRss = await rssMb(sim.pid)
  console.log(
    `idle CPU at ${TOP} sessions over ${IDLE} s: ${cpu.toFixed(2)} % of one core (${windowsText(idle)}; load ${load()})`,
  )
  Object.assign(out, {
    baselineMb: baseline,
    levels,
    slopeMb: slope,
    idleCpuPct: cpu,
    idleSettlingPct: idle.settling,
    idleWindows: idle.windows,
    idleLoad: load(),
    simRssMb: simRss,
  })

  // The API's latency with every session idle: what the latencies measured during a restore compare with.
  const idleLat = await probeApi(() => Bun.sleep(10_000))
  console.log(`API at ${TOP} idle sessions: p50 ${idleLat.p50.toFixed(0)} ms, p99 ${idleLat.p99.toFixed(0)} ms`)
  for (const [k, run] of RESTORES.entries()) {
    await gw.stop('SIGTERM')
    const t0 = performance.now()
    const flags = ['--restore-concurrency', String(run.concurrency), '--restore-stagger-ms', String(run.staggerMs)]
    gw = await spawnGateway(dir, sim, flags, adminKey)
    const listeningMs = performance.now() - t0
    const c0 = await cpuSeconds(gw.proc.pid)
    // The API's latency while the sessions come back: a restore that starves the event loop shows here.
    const lat = await probeApi(async () => {
      while (connectedCount.get()!.n < TOP) {
        if (performance.now() - t0 > 1_200_000) throw new Error(`only ${connectedCount.get()!.n} of ${TOP} restored`)
        await Bun.sleep(100)
      }
    })
    const restoreMs = performance.now() - t0
    const cpuMsPerSession = (((await cpuSeconds(gw.proc.pid)) - c0) / TOP) * 1000
    console.log(
      `restart with ${run.concurrency} logins in flight, ${run.staggerMs} ms apart: listening after ` +
        `${(listeningMs / 1000).toFixed(2)} s, all ${TOP} connected after ${(restoreMs / 1000).toFixed(1)} s ` +
        `(${cpuMsPerSession.toFixed(1)} ms of gateway CPU per session; API p50 ${lat.p50.toFixed(0)} ms, p99 ` +
        `${lat.p99.toFixed(0)} ms meanwhile; load ${load()})`,
    )
    restores.push({
      ...run,
      listeningMs,
      allConnectedMs: restoreMs,
      cpuMsPerSession,
      apiP50Ms: lat.p50,
      apiP99Ms: lat.p99,
    })
    if (k > 0) continue
    // After the first restart only: memory and idle CPU of sessions restored (not linked) in this process.
    const rss = await idleRss()
    const idleAfter = await idleCpu()
    const cpuAfter = idleAfter.pct
    console.log(
      `after the restore: ${rss.toFixed(1)} MB (${((rss - baseline) / TOP).toFixed(3)} MB per session over the ` +
        `first baseline), idle CPU ${cpuAfter.toFixed(2)} % of one core (${windowsText(idleAfter)}; load ${load()})`,
    )
    Object.assign(out, {
      restored: {
        rssMb: rss,
        perSessionMb: (rss - baseline) / TOP,
        idleCpuPct: cpuAfter,
        idleSettlingPct: idleAfter.settling,
        idleWindows: idleAfter.windows,
        idleLoad: load(),
      },
    })
  }

  const r = out.restored as Record<string, number> | undefined
  const mb = (x: number) => `${x.toFixed(2)} MB`
  const rows: BenchRow[] = [
    { metric: 'RSS, gateway with 0 sessions (baseline)', measured: `${baseline.toFixed(1)} MB` },
    ...levels.map((l) => ({
      // (RSS(n) - RSS(0)) / n: at the first level mostly the first session's one-time cost (Baileys' module init).
      metric: `RSS per idle session at ${l.sessions}, linked in this process (RSS ${l.rssMb.toFixed(0)} MB)${l === levels[0] ? ', incl. one-time init' : ''}`,
      measured: mb(l.perSessionMb),
      ...(l.sessions >= 1000 ? { target: '≤ 1 MB at 1,000', met: l.perSessionMb <= 1 } : {}),
      data: l,
    })),
    {
      metric: `RSS slope per session, ${a?.sessions ?? 0}→${b?.sessions ?? TOP}`,
      measured: mb(slope),
      data: { slope },
    },
    {
      metric: `gateway idle CPU at ${TOP} sessions (${IDLE} s after ${IDLE_SETTLE} s quiet, load ${out.idleLoad})`,
      measured: `${cpu.toFixed(2)} % of one core (the ${IDLE_SETTLE} s after linking: ${idle.settling.toFixed(2)} %)`,
      target: '< 5 %',
      met: cpu < 5,
      data: { idleCpuPct: cpu, settlingPct: idle.settling, windows: idle.windows, simRssMb: simRss },
    },
  ]
  for (const x of restores)
    rows.push({
      metric:
        `boot → ${TOP} sessions restored and connected, ${x.concurrency} logins in flight ${x.staggerMs} ms apart ` +
        `(load ${load()})`,
      measured:
        `${(x.allConnectedMs / 1000).toFixed(1)} s, ${x.cpuMsPerSession.toFixed(1)} ms CPU per session, API p99 ` +
        `${x.apiP99Ms.toFixed(0)} ms meanwhile (idle: ${idleLat.p99.toFixed(0)} ms)`,
      data: x,
    })
  if (r)
    rows.push(
      {
        metric: `RSS per idle session at ${TOP}, restored after a restart (RSS ${r.rssMb!.toFixed(0)} MB)`,
        measured: mb(r.perSessionMb!),
        target: '≤ 1 MB at 1,000',
        met: r.perSessionMb! <= 1,
      },
      {
        metric: `gateway idle CPU at ${TOP} restored sessions (${IDLE} s after ${IDLE_SETTLE} s quiet, load ${r.idleLoad})`,
        measured: `${r.idleCpuPct!.toFixed(2)} % of one core (the ${IDLE_SETTLE} s after the restore: ${r.idleSettlingPct!.toFixed(2)} %)`,
        target: '< 5 %',
        met: r.idleCpuPct! < 5,
      },
    )
  console.log(
    `command: bun scripts/bench/memory.ts --levels ${LEVELS.join(',')} --settle ${SETTLE} --idle ${IDLE} --idle-settle ${IDLE_SETTLE} ` +
      `--restore ${RESTORES.map((x) => `${x.concurrency}:${x.staggerMs}`).join(',') || 'none'}`,
  )
  report(rows)
} finally {
  db.close()
  await gw.stop('SIGTERM')
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}
