// Resident memory per connected idle session: RSS (VmRSS) of one gateway process with 0 sessions, then with 1, 50
// and 200 real sessions linked through the API to the simulator (QR scan, pairing, login, pre-keys), each level
// measured after the process has been idle for --settle seconds.
//   bun scripts/bench/memory.ts [--levels 1,50,200] [--settle 5]
// Per-session cost is (RSS(n) - RSS(0)) / n; the slope between the last two levels excludes one-time costs
// (Baileys' lazy module initialisation, the first socket's buffers) and is what the next session costs.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { arg, linkSessions, median, report, rssMb, spawnGateway, spawnSimulator } from './lib.ts'

const i = process.argv.indexOf('--levels')
const LEVELS = (i > 0 ? process.argv[i + 1]! : '1,50,200').split(',').map(Number)
const SETTLE = arg('settle', 5)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-memory-'))
const sim = await spawnSimulator()
const gw = await spawnGateway(dir, sim)

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

const levels: Array<{ sessions: number; rssMb: number; perSessionMb: number }> = []
try {
  await gw.api('/sessions') // one served request, so the baseline includes the HTTP path's warm state
  const baseline = await idleRss()
  console.log(`0 sessions: ${baseline.toFixed(1)} MB`)
  let linked = 0
  for (const n of LEVELS) {
    const t0 = performance.now()
    const phones = Array.from({ length: n - linked }, (_, k) => String(6281500000000 + linked + k))
    await linkSessions(gw, sim, phones)
    linked = n
    const linkSecs = (performance.now() - t0) / 1000
    const connected = (await gw.api<{ data: { status: string }[] }>('/sessions?limit=200')).body.data.filter(
      (s) => s.status === 'connected',
    ).length
    const rss = await idleRss()
    const perSessionMb = (rss - baseline) / n
    levels.push({ sessions: n, rssMb: rss, perSessionMb })
    console.log(
      `${n} sessions (${connected} connected on the last page, linked in ${linkSecs.toFixed(1)} s): ` +
        `${rss.toFixed(1)} MB, ${perSessionMb.toFixed(2)} MB per session over the baseline`,
    )
  }
  const [a, b] = levels.slice(-2)
  const slope = a && b ? (b.rssMb - a.rssMb) / (b.sessions - a.sessions) : (levels[0]?.perSessionMb ?? 0)
  console.log(`slope ${a?.sessions ?? 0}→${b?.sessions ?? LEVELS[0]} sessions: ${slope.toFixed(2)} MB per session`)
  console.log(`command: bun scripts/bench/memory.ts --levels ${LEVELS.join(',')} --settle ${SETTLE}`)
  const last = levels.slice(-2).map((l) => l.sessions)
  report([
    { metric: 'RSS, gateway with 0 sessions (baseline)', measured: `${baseline.toFixed(1)} MB` },
    ...levels.map((l) => ({
      // (RSS(n) - RSS(0)) / n: at the first level mostly the first session's one-time cost (lazy module init).
      metric: `RSS per idle session at ${l.sessions} (RSS ${l.rssMb.toFixed(0)} MB)${l === levels[0] ? ', incl. one-time init' : ''}`,
      measured: `${l.perSessionMb.toFixed(2)} MB`,
      target: '≤ 1 MB at 1,000',
      met: l.perSessionMb <= 1,
      data: l,
    })),
    {
      metric: `RSS slope per session, ${last.join('→')}`,
      measured: `${slope.toFixed(2)} MB`,
      data: { slopeMb: slope },
    },
  ])
} finally {
  await gw.stop('SIGTERM')
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
}
