// `npm run bench`: runs every benchmark as its own child process (each measures its ceiling in the same run where
// one exists) and prints ONE markdown table on stdout; the children's own reports go to stderr as they finish.
//   bun scripts/bench/index.ts [--quick] [--only read,ingest,inbound,memory,webhooks,coldstart,send,media]
// --quick shrinks every size for a smoke run; its figures are not the published ones.
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'

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
    timeoutS: 300,
  },
  { name: 'ingest', file: 'ingest.ts', args: [], quickArgs: ['--rows', '20000'], timeoutS: 240 },
  { name: 'inbound', file: 'inbound.ts', args: [], quickArgs: ['--messages', '1000'], timeoutS: 600 },
  { name: 'memory', file: 'memory.ts', args: [], quickArgs: ['--levels', '1,5,10', '--settle', '2'], timeoutS: 600 },
  {
    name: 'webhooks',
    file: 'webhooks.ts',
    args: [],
    quickArgs: ['--seconds', '3', '--backlog', '10000'],
    timeoutS: 300,
  },
  { name: 'coldstart', file: 'coldstart.ts', args: [], quickArgs: ['--runs', '3'], timeoutS: 240 },
  { name: 'send', file: 'send.ts', args: [], quickArgs: ['--messages', '300'], timeoutS: 600 },
  { name: 'media', file: 'media.ts', args: [], quickArgs: ['--images', '20', '--doc-mb', '20'], timeoutS: 900 },
]

/** Runs one benchmark; resolves with its stdout, or null when it failed or ran past its time limit. */
async function run(b: Bench): Promise<string | null> {
  const args = quick ? b.quickArgs : b.args
  console.error(`\n## ${b.name}: bun scripts/bench/${b.file} ${args.join(' ')}`)
  const t0 = performance.now()
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, b.file), ...args], {
    stdout: 'pipe',
    stderr: 'inherit',
    timeout: b.timeoutS * 1000,
    killSignal: 'SIGKILL',
  })
  const out = await new Response(proc.stdout).text()
  const code = await proc.exited
  console.error(out.trimEnd())
  console.error(`(${b.name}: exit ${code}, ${((performance.now() - t0) / 1000).toFixed(0)} s)`)
  return code === 0 ? out : null
}

const bench = (out: string) => JSON.parse(/^BENCH (.*)$/m.exec(out)![1]!) as Record<string, any>
const n = (x: number) => Math.round(x).toLocaleString('en')
type Row = [metric: string, measured: string, ceiling: string, ratio: string, target: string, met: string]
const yes = (ok: boolean) => (ok ? '✅' : '❌')

/** Each parser turns a benchmark's stdout into table rows. */
const parsers: Record<string, (out: string) => Row[]> = {
  read(out) {
    const row = (label: string) => {
      const cells = out
        .split('\n')
        .find((l) => l.startsWith(`| ${label}`))!
        .split('|')
        .map((c) => c.trim())
      return { rps: Number(cells[2]), p99: Number(cells[4]) }
    }
    const [ours, raw] = [row('wagate'), row('raw')]
    const r = ours.rps / raw.rps
    return [
      [
        'read path: page of 50 chats (req/s, p99)',
        `${n(ours.rps)} req/s, p99 ${ours.p99} ms`,
        `${n(raw.rps)} req/s (raw bun:sqlite route)`,
        r.toFixed(2),
        '≥ 0.9 of ceiling',
        yes(r >= 0.9),
      ],
    ]
  },
  ingest(out) {
    const { ceiling, history, live, liveCeiling, batch } = bench(out).ingest
    const row = (label: string, x: number, c: number, what: string): Row => [
      `store ingest: ${label}, batches of ${batch}`,
      `${n(x)} rows/s`,
      `${n(c)} rows/s (${what})`,
      (x / c).toFixed(2),
      '≥ 0.8 of ceiling',
      yes(x / c >= 0.8),
    ]
    return [
      row('history messages', history, ceiling, 'raw INSERT'),
      row('live messages (+ chat, event)', live, ceiling, 'raw INSERT of the messages alone'),
      row('live messages (+ chat, event)', live, liveCeiling, 'raw message + event + chat writes'),
    ]
  },
  inbound(out) {
    return (bench(out).inbound as { sessions: number; perSec: number; ceiling: number }[]).map((r) => [
      `inbound msgs/s end to end, ${r.sessions} session${r.sessions > 1 ? 's' : ''}, 1 process`,
      `${n(r.perSec)} msg/s`,
      `${n(r.ceiling)} msg/s (bare Baileys, no store)`,
      (r.perSec / r.ceiling).toFixed(2),
      '≥ 2,000 msg/s',
      yes(r.perSec >= 2000),
    ])
  },
  memory(out) {
    const m = bench(out).memory as {
      baselineMb: number
      levels: { sessions: number; rssMb: number; perSessionMb: number }[]
      slopeMb: number
    }
    const last = m.levels.slice(-2).map((l) => l.sessions)
    return [
      ['RSS, gateway with 0 sessions (baseline)', `${m.baselineMb.toFixed(1)} MB`, '–', '–', '–', '–'],
      ...m.levels.map((l): Row => [
        // (RSS(n) - RSS(0)) / n: at the first level mostly the first session's one-time cost (lazy module init).
        `RSS per idle session at ${l.sessions} (RSS ${l.rssMb.toFixed(0)} MB)${l === m.levels[0] ? ', incl. one-time init' : ''}`,
        `${l.perSessionMb.toFixed(2)} MB`,
        '–',
        '–',
        '≤ 10 MB',
        yes(l.perSessionMb <= 10),
      ]),
      [
        `RSS slope per session, ${last.join('→')}`,
        `${m.slopeMb.toFixed(2)} MB`,
        '–',
        '–',
        '≤ 10 MB',
        yes(m.slopeMb <= 10),
      ],
    ]
  },
  webhooks(out) {
    const w = JSON.parse(out.slice(out.indexOf('{'))) as {
      config: { rate: number }
      steady: { deliveredPerSec: number; lagP50Ms: number; lagP99Ms: number }
      backlog: { eventsPerSec: number }
      ceiling: { rawPostsPerSec: number }
      ratio: number
    }
    return [
      [
        'webhook delivery rate (backlog drain)',
        `${n(w.backlog.eventsPerSec)} events/s`,
        `${n(w.ceiling.rawPostsPerSec)} POST/s (raw fetch)`,
        w.ratio.toFixed(2),
        '≥ 5,000 events/s',
        yes(w.backlog.eventsPerSec >= 5000),
      ],
      [
        `webhook lag, ingest at ${n(w.config.rate)}/s`,
        `p50 ${w.steady.lagP50Ms} ms, p99 ${w.steady.lagP99Ms} ms (${n(w.steady.deliveredPerSec)}/s)`,
        '–',
        '–',
        '–',
        '–',
      ],
    ]
  },
  send(out) {
    const s = bench(out).send as {
      messages: number
      acceptedPerSec: number
      drainedPerSec: number
      ackedPerSec: number
      ceilingPerSec: number
    }
    const r = s.drainedPerSec / s.ceilingPerSec
    return [
      [
        `send through the queue, pacing off (${n(s.messages)} texts, 1 session, accept → stanza written)`,
        `${n(s.drainedPerSec)} msg/s (all acked at ${n(s.ackedPerSec)} msg/s)`,
        `${n(s.ceilingPerSec)} msg/s (bare Baileys sendMessage loop)`,
        r.toFixed(2),
        '–',
        '–',
      ],
    ]
  },
  media(out) {
    const m = bench(out).media as {
      images: number
      imageKb: number
      docMb: number
      filesPerSec: number
      imagesMbPerSec: number
      ceilingFilesPerSec: number
      ceilingImagesMbPerSec: number
      docMbPerSec: number
      ceilingDocMbPerSec: number
      rssGrowthMb: number
    }
    const f = (x: number) => x.toFixed(1)
    return [
      [
        `inbound media: ${m.images} images of ${m.imageKb / 1024} MB, send → stored (files/s, MB/s)`,
        `${f(m.filesPerSec)} files/s, ${f(m.imagesMbPerSec)} MB/s`,
        `${f(m.ceilingFilesPerSec)} files/s (raw download + decrypt + write)`,
        (m.filesPerSec / m.ceilingFilesPerSec).toFixed(2),
        '–',
        '–',
      ],
      [
        `inbound media: one ${m.docMb} MB document, send → stored`,
        `${f(m.docMbPerSec)} MB/s`,
        `${f(m.ceilingDocMbPerSec)} MB/s (raw download + decrypt + write)`,
        (m.docMbPerSec / m.ceilingDocMbPerSec).toFixed(2),
        '–',
        '–',
      ],
      [
        `gateway peak RSS growth during the ${m.docMb} MB document`,
        `${f(m.rssGrowthMb)} MB`,
        '–',
        '–',
        '< 32 MB',
        yes(m.rssGrowthMb < 32),
      ],
    ]
  },
  coldstart(out) {
    const c = bench(out).coldstart as { medianMs: number; ceilingMs: number; runs: number }
    return [
      [
        `cold start, binary → /readyz (median of ${c.runs}, fresh dir)`,
        `${c.medianMs.toFixed(0)} ms`,
        `${c.ceilingMs.toFixed(0)} ms (bare compiled Bun.serve)`,
        (c.ceilingMs / c.medianMs).toFixed(2),
        '< 300 ms',
        yes(c.medianMs < 300),
      ],
    ]
  },
}

const started = new Date()
const load0 = loadavg()[0]!.toFixed(2)
const rows: Row[] = []
for (const b of benches) {
  if (only && !only.has(b.name)) continue
  const out = await run(b)
  try {
    if (out === null) throw new Error('benchmark failed or timed out (see stderr)')
    rows.push(...parsers[b.name]!(out))
  } catch (err) {
    rows.push([b.name, `failed: ${(err as Error).message}`, '', '', '', '❌'])
  }
}

const gb = (x: number) => `${(x / 2 ** 30).toFixed(1)} GiB`
console.log(
  `\nMachine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${gb(totalmem())} RAM (${gb(freemem())} free at the end), ` +
    `bun ${Bun.version}; load average ${load0} at start, ${loadavg()[0]!.toFixed(2)} at end; ${started.toISOString()}`,
)
console.log(`Command: npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only ${[...only].join(',')}` : ''}`)
console.log(`Ratio = measured / ceiling (for cold start, ceiling time / measured time).\n`)
console.log('| metric | measured | ceiling | ratio | target | met? |\n|---|---|---|---|---|---|')
for (const r of rows) console.log(`| ${r.join(' | ')} |`)
