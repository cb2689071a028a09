// The full hostile-input run against the built binary: 10,000 generated requests by default.
//   bun scripts/fuzz.ts [--count 10000] [--seed N]
// CI runs the same generator with a smaller count and a fixed seed (test/fuzz-binary.test.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBinary, startBinary } from '../test/helpers/binary.ts'
import { exerciseLimits, fuzzServeFlags } from '../test/helpers/fuzz-limits.ts'
import { fuzzContext, runFuzz } from '../test/helpers/fuzz-run.ts'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const count = arg('count', 10_000)
const seed = arg('seed', Date.now() % 1_000_000)
const dir = mkdtempSync(join(tmpdir(), 'wagate-fuzz-'))
console.error(`building the binary …`)
const gw = await startBinary(buildBinary(), join(dir, 'data'), dir, fuzzServeFlags)
try {
  const started = performance.now()
  const ctx = await fuzzContext(gw.url, gw.key!, 65536)
  const report = await runFuzz({
    url: gw.url,
    dbPath: join(dir, 'data', 'wagate.db'),
    ctx,
    seed,
    count,
    progress: (n) => console.error(`  ${n}/${count} requests`),
  })
  const limits = await exerciseLimits(gw.url, gw.key!)
  report.violations.push(...limits.violations)
  const healthy = (await fetch(`${gw.url}/readyz`)).status === 200
  const secs = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`fuzz: seed ${seed}, ${report.sent} requests in ${secs} s, statuses ${JSON.stringify(report.byStatus)}`)
  console.log(
    `limits: burst ${JSON.stringify(limits.burst)}, stream past the limit ${limits.streamRefused}, ` +
      `webhook past the limit ${limits.webhookRefused}`,
  )
  console.log(`healthy afterwards: ${healthy}; violations: ${report.violations.length}`)
  for (const v of report.violations.slice(0, 20)) console.log(`  ${v}`)
  process.exitCode = report.violations.length === 0 && healthy ? 0 : 1
} finally {
  gw.proc.kill('SIGTERM')
  await gw.proc.exited
  rmSync(dir, { recursive: true, force: true })
}
