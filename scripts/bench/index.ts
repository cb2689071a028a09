// `npm run bench`: runs every benchmark as its own child process (each measures its ceiling in the same run where
// one exists) and prints ONE markdown table on stdout with the machine it ran on; the children's own reports go
// to stderr as they finish.
//   bun scripts/bench/index.ts [--quick] [--only read,inbound,webhooks,memory,soak,soak-1m,coldstart,send,media,ingest,commands,cluster]
// --quick shrinks every size for a smoke run; its figures are not the published ones.
// The contract with the benchmarks (scripts/bench/lib.ts `report`): each prints its table rows as one stdout line
// `BENCH {"rows":[{metric, measured, ceiling?, ratio?, target?, met?, data?}]}`; this file adds nothing to them.
import { existsSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './lib.ts'

const quick = process.argv.includes('--quick')
const oi = process.argv.indexOf('--only')
const only = oi > 0 ? new Set(process.argv[oi + 1]!.split(',')) : null

type Bench = { name: string; file: string; args: string[]; quickArgs: string[]; timeoutS: number }
const benches: Bench[] = [
  {
    name: 'read',
    file: 'read.ts',
    args: [],
    quickArgs: ['--chats', '10000', '--messages', '50000', '--seconds', '3'],
    timeoutS: 600,
  },
  {
    name: 'inbound',
    file: 'inbound.ts',
    args: [],
    quickArgs: ['--messages', '500', '--sessions', '1,10', '--runs', '1'],
    timeoutS: 2400,
  },
  {
    name: 'webhooks',
    file: 'webhooks.ts',
    args: [],
    quickArgs: ['--seconds', '3', '--backlog', '10000', '--runs', '1'],
    timeoutS: 300,
  },
  {
    name: 'memory',
    file: 'memory.ts',
    args: [],
    quickArgs: ['--levels', '1,5,10', '--settle', '2', '--idle', '10'],
    timeoutS: 2400,
  },
  { name: 'soak', file: 'soak.ts', args: [], quickArgs: ['--minutes', '1'], timeoutS: 1800 },
  {
    name: 'soak-1m',
    file: 'soak.ts',
    args: ['--seed', '1000000'],
    quickArgs: ['--seed', '100000', '--minutes', '1'],
    timeoutS: 2400,
  },
  { name: 'media', file: 'media.ts', args: [], quickArgs: ['--images', '20', '--doc-mb', '20'], timeoutS: 900 },
  { name: 'send', file: 'send.ts', args: [], quickArgs: ['--messages', '300'], timeoutS: 600 },
  { name: 'ingest', file: 'ingest.ts', args: [], quickArgs: ['--rows', '20000'], timeoutS: 240 },
  { name: 'coldstart', file: 'coldstart.ts', args: [], quickArgs: ['--runs', '3'], timeoutS: 240 },
  { name: 'commands', file: 'commands.ts', args: [], quickArgs: ['--calls', '200'], timeoutS: 120 },
  {
    name: 'cluster',
    file: 'cluster.ts',
    args: [],
    quickArgs: ['--sessions', '6', '--per', '50', '--runs', '1'],
    timeoutS: 900,
  },
]

const failed = (name: string, why: string): BenchRow => ({ metric: name, measured: `not measured: ${why}`, met: false })

/** Runs one benchmark and returns its rows; a failure, a timeout or a missing script is a row saying so. */
async function run(b: Bench): Promise<BenchRow[]> {
  const file = join(import.meta.dir, b.file)
  if (!existsSync(file)) return [failed(b.name, `scripts/bench/${b.file} does not exist yet`)]
  const args = quick ? b.quickArgs : b.args
  console.error(`\n## ${b.name}: bun scripts/bench/${b.file} ${args.join(' ')}`)
  const t0 = performance.now()
  const proc = Bun.spawn([process.execPath, file, ...args], {
    stdout: 'pipe',
    stderr: 'inherit',
    timeout: b.timeoutS * 1000,
    killSignal: 'SIGKILL',
  })
  const out = await new Response(proc.stdout).text()
  const code = await proc.exited
  console.error(out.trimEnd())
  console.error(`(${b.name}: exit ${code}, ${((performance.now() - t0) / 1000).toFixed(0)} s)`)
  if (code !== 0) return [failed(b.name, `exit ${code}${proc.signalCode ? ` (${proc.signalCode})` : ''}, see stderr`)]
  const line = out.split('\n').findLast((l) => l.startsWith('BENCH '))
  if (!line) return [failed(b.name, 'printed no BENCH line')]
  const rows = (JSON.parse(line.slice(6)) as { rows?: BenchRow[] }).rows
  return Array.isArray(rows) ? rows : [failed(b.name, 'its BENCH line has no "rows" (see lib.ts report)')]
}

const started = new Date()
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')
const load0 = load()
const rows: BenchRow[] = []
for (const b of benches) if (!only || only.has(b.name)) rows.push(...(await run(b)))

const gb = (x: number) => `${(x / 2 ** 30).toFixed(1)} GiB`
const cell = (s: string | undefined) => (s ?? '–').replace(/\|/g, '\\|')
/** Two decimals, or the three a row kept to show a miss that two would round up (lib.ts `shownRatio`). */
const ratioCell = (x: number | undefined) =>
  x === undefined ? '–' : Number(x.toFixed(2)) === x ? x.toFixed(2) : x.toFixed(3)
console.log(
  `\nMachine: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${gb(totalmem())} RAM (${gb(freemem())} free at the ` +
    `end), bun ${Bun.version}; load average (1/5/15 min) ${load0} at start, ${load()} at end; ` +
    `${started.toISOString()} → ${new Date().toISOString()}`,
)
console.log(`Command: npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only ${[...only].join(',')}` : ''}`)
console.log(`Ratio = measured / ceiling in the same run (for times: ceiling / measured), so higher is better.\n`)
console.log('| metric | measured | ceiling (same run) | ratio | target | met? |\n|---|---|---|---|---|---|')
for (const r of rows) {
  const met = r.met === undefined ? '–' : r.met ? '✅' : '❌'
  console.log(
    `| ${cell(r.metric)} | ${cell(r.measured)} | ${cell(r.ceiling)} | ${ratioCell(r.ratio)} | ${cell(r.target)} | ${met} |`,
  )
}
