// Cold start of the compiled binary: spawn → first 200 from GET /readyz, on a fresh data dir every run (so the time
// includes creating the database, the migrations and the first admin key), polled every millisecond. Ceiling, same
// run: a compiled `Bun.serve` that answers /readyz and does nothing else, built with the same flags.
//   bun scripts/bench/coldstart.ts [--runs 9] [--bin path]   (without --bin it builds one with scripts/build.ts)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { arg, median, report, root } from './lib.ts'

const RUNS = arg('runs', 9)
const bi = process.argv.indexOf('--bin')
const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-coldstart-'))

function build(out: string) {
  const p = Bun.spawnSync([process.execPath, join(root, 'scripts', 'build.ts'), out], { stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`build failed:\n${p.stderr}`)
}

/** The ceiling program, compiled with scripts/build.ts's flags (that script only builds src/main.ts). */
function buildBare(entry: string, out: string) {
  const flags = ['--compile', '--target', 'bun', '--minify-syntax', '--bytecode', '--format=esm']
  const p = Bun.spawnSync([process.execPath, 'build', ...flags, entry, '--outfile', out], { stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`build failed:\n${p.stderr}`)
}

/** A port nobody listens on: the binary must be told one, since with port 0 we could only learn it from its output. */
function freePort(): number {
  const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = s.port!
  s.stop(true)
  return port
}

/** Milliseconds from spawn to the first 200 on /readyz. */
async function once(cmd: (dataDir: string, port: number) => string[]): Promise<number> {
  const dataDir = mkdtempSync(join(dir, 'data-'))
  const port = freePort()
  const url = `http://127.0.0.1:${port}/readyz`
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const t0 = performance.now()
  const proc = Bun.spawn(cmd(dataDir, port), { env, stdout: 'ignore', stderr: 'ignore' })
  try {
    for (;;) {
      const ok = await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ok) return performance.now() - t0
      if (performance.now() - t0 > 10_000) throw new Error(`${cmd(dataDir, port)[0]} not ready after 10 s`)
      await Bun.sleep(1)
    }
  } finally {
    proc.kill('SIGKILL')
    await proc.exited
    rmSync(dataDir, { recursive: true, force: true })
  }
}

try {
  const bin = bi > 0 ? process.argv[bi + 1]! : join(dir, 'wagate')
  if (bi < 0) build(bin)
  const bareSrc = join(dir, 'bare.ts')
  writeFileSync(
    bareSrc,
    `Bun.serve({ hostname: '127.0.0.1', port: Number(process.argv[2]), fetch: () => Response.json({ status: 'ready' }) })\n`,
  )
  const bare = join(dir, 'bare')
  buildBare(bareSrc, bare)
  const ours: number[] = []
  const ceiling: number[] = []
  // Interleaved, one untimed run of each first, so the page cache holds both binaries before timing.
  await once((d, p) => [bin, 'serve', '--data-dir', d, '--port', String(p)])
  await once((_, p) => [bare, String(p)])
  for (let k = 0; k < RUNS; k++) {
    ours.push(await once((d, p) => [bin, 'serve', '--data-dir', d, '--port', String(p)]))
    ceiling.push(await once((_, p) => [bare, String(p)]))
  }
  const [m, c] = [median(ours), median(ceiling)]
  const f = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`
  console.log(`wagate binary, fresh data dir → /readyz 200: median ${m.toFixed(1)} ms (${f(ours)}), ${RUNS} runs`)
  console.log(`bare compiled Bun.serve (ceiling): median ${c.toFixed(1)} ms (${f(ceiling)})`)
  console.log(`command: bun scripts/bench/coldstart.ts --runs ${RUNS}${bi > 0 ? ` --bin ${process.argv[bi + 1]}` : ''}`)
  report([
    {
      metric: `cold start, binary → /readyz (median of ${RUNS}, fresh data dir)`,
      measured: `${m.toFixed(0)} ms`,
      ceiling: `${c.toFixed(0)} ms (bare compiled Bun.serve)`,
      ratio: Number((c / m).toFixed(2)),
      target: '< 300 ms',
      met: m < 300,
      data: { medianMs: m, ceilingMs: c, runs: RUNS, ours, bare: ceiling },
    },
  ])
} finally {
  rmSync(dir, { recursive: true, force: true })
}
