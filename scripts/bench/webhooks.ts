// Webhook delivery benchmark: events/s delivered to a local receiver and delivery lag (commit → receipt)
// while ingest runs, against a ceiling measured in the same run: raw keep-alive POSTs of the same bodies to
// the same receiver at the same concurrency, no database.
//   bun scripts/bench/webhooks.ts [--rate 5000] [--seconds 10] [--backlog 50000] [--sessions 16] [--concurrency 16]
//     [--runs 3] [--thread]
// The receiver runs as a child process (this file with --receiver) so its work is not on the dispatcher's loop.
import { signatureHeaders } from '../../src/events/signing.ts'
import { createEgress, parseAllowList } from '../../src/media/egress.ts'
import { deliveryRig } from './delivery-rig.ts'
import { arg, busyCores, cpuSeconds, fmt, hostCpu, median, ratioRow, report, threadCpuSeconds } from './lib.ts'

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

if (process.argv.includes('--receiver')) {
  // Counts requests and records lag = now - the envelope's createdAt; GET /stats returns and resets them.
  let lags: number[] = []
  let count = 0
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      if (req.method === 'GET') {
        const sorted = lags.sort((a, b) => a - b)
        const out = { count, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), max: sorted.at(-1) ?? 0 }
        lags = []
        count = 0
        return Response.json(out)
      }
      const body = await req.text()
      const at = body.indexOf('"createdAt":')
      lags.push(Date.now() - Number(body.slice(at + 12, body.indexOf(',', at))))
      count++
      return new Response(null, { status: 204 })
    },
  })
  console.log(JSON.stringify({ port: server.port }))
  await new Promise(() => {})
}

const rate = arg('rate', 5000)
const seconds = arg('seconds', 10)
const backlog = arg('backlog', 50_000)
const sessions = arg('sessions', 16)
const concurrency = arg('concurrency', 16)
const runs = arg('runs', 3)

const child = Bun.spawn([process.execPath, import.meta.path, '--receiver'], { stdout: 'pipe', stderr: 'inherit' })
const first = await (child.stdout as ReadableStream<Uint8Array>).getReader().read()
const { port } = JSON.parse(new TextDecoder().decode(first.value)) as { port: number }
const url = `http://127.0.0.1:${port}/hook`
const stats = () =>
  fetch(url).then((r) => r.json() as Promise<{ count: number; p50: number; p99: number; max: number }>)

const rig = deliveryRig({
  url,
  concurrency,
  // The receiver is a child process on this machine: allowed the way an operator would allow it. As the server
  // runs it, the requests go out from a worker thread; --thread sends them from this one.
  send: process.argv.includes('--thread')
    ? { fetch: createEgress({ allow: parseAllowList('127.0.0.0/8').allow }).fetch }
    : { egressAllow: '127.0.0.0/8' },
})
const { dispatcher, secret, data } = rig
const ingest = (k: number) => rig.ingest(k, sessions)

const waitCount = async (want: number, timeoutMs: number) => {
  let got = 0
  const until = Date.now() + timeoutMs
  while (got < want && Date.now() < until) {
    await Bun.sleep(50)
    got += (await stats()).count
  }
  return got
}

// 1. Steady ingest at --rate for --seconds: delivered rate and lag while ingest runs.
await dispatcher.start()
await stats()
// The event loop's thread and the whole process, per event delivered in this phase (the appends included).
const steadyCpu0 = { main: await cpuSeconds(process.pid, process.pid).catch(() => NaN), all: process.cpuUsage() }
const tick = 10
const perTick = Math.max(1, Math.round((rate * tick) / 1000))
const t0 = performance.now()
let produced = 0
while (performance.now() - t0 < seconds * 1000) {
  const due = Math.floor(((performance.now() - t0) / 1000) * rate)
  if (due > produced) {
    const k = Math.min(due - produced, perTick * 4)
    ingest(k)
    produced += k
  }
  await Bun.sleep(tick)
}
const steady = await stats()
let delivered = steady.count
delivered += await waitCount(produced - delivered, 30_000)
const steadyElapsed = (performance.now() - t0) / 1000
const steadyMainUs = ((await cpuSeconds(process.pid, process.pid).catch(() => NaN)) - steadyCpu0.main) * 1e6
const steadyAll = process.cpuUsage(steadyCpu0.all)
const steadyCpu = {
  mainUs: steadyMainUs / Math.max(delivered, 1),
  allUs: (steadyAll.user + steadyAll.system) / Math.max(delivered, 1),
}

// 2. Backlog against the ceiling, in pairs: --backlog events committed at once while the dispatcher is stopped,
// then drained; right after, the ceiling: the same bodies, signed, POSTed with the same concurrency straight from
// memory. The ratio is taken pair by pair (a machine whose load drifts compares like with like), with the CPU
// this process spent per event in each (the receiver is another process), which the host's load disturbs less.
await dispatcher.stop()
const bodies = Array.from({ length: 1000 }, (_, i) =>
  JSON.stringify({
    id: `evt_${i}`,
    type: 'message.received',
    createdAt: Date.now(),
    orgId: 'bench',
    sessionId: 's0',
    data,
  }),
)
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000
// The event loop's thread alone (Linux): process CPU also counts Bun's HTTP client thread, which both sides use, and
// the WAL checkpointer. What the dispatcher adds per delivery shows here.
const mainMs = async () => (await cpuSeconds(process.pid, process.pid).catch(() => NaN)) * 1000

/**
 * Where one side's CPU went, per request: each thread of this process by name, the receiver's process, and how many
 * of the host's cores were busy meanwhile (on a 2-core host the two sides compete with the receiver for them).
 */
async function cpuSplit() {
  const [threads, receiver, host] = await Promise.all([threadCpuSeconds(process.pid), cpuSeconds(child.pid), hostCpu()])
  return async (n: number) => {
    const [threads1, receiver1, host1] = await Promise.all([
      threadCpuSeconds(process.pid),
      cpuSeconds(child.pid),
      hostCpu(),
    ])
    const us = (a: number, b: number) => ((b - a) * 1e6) / Math.max(n, 1)
    const parts = [...threads1]
      .map(([name, s]) => [name, us(threads.get(name) ?? s, s)] as const)
      .filter(([, v]) => v >= 0.5)
      .map(([name, v]) => `${name} ${v.toFixed(1)}`)
    parts.push(`receiver ${us(receiver, receiver1).toFixed(1)}`)
    return `${parts.join(', ')} µs; host ${busyCores(host, host1).toFixed(2)} of ${host1.cores} cores busy`
  }
}
type Pair = {
  drainRate: number
  ceiling: number
  ratio: number
  drainCpuUs: number
  ceilingCpuUs: number
  drainMainUs: number
  ceilingMainUs: number
}
const pairs: Pair[] = []
let drained = 0
for (let run = 0; run < runs; run++) {
  for (let left = backlog; left > 0; left -= 1000) ingest(Math.min(1000, left))
  await stats()
  const drainSplit = await cpuSplit()
  const d0 = performance.now()
  const du = process.cpuUsage()
  const dm = await mainMs()
  await dispatcher.start()
  const got = await waitCount(backlog, 120_000)
  const drainRate = got / ((performance.now() - d0) / 1000)
  const drainCpu = cpuMs(process.cpuUsage(du))
  const drainMain = (await mainMs()) - dm
  const drainThreads = await drainSplit(got)
  await dispatcher.stop()
  drained += got

  let sent = 0
  const rawSplit = await cpuSplit()
  const c0 = performance.now()
  const cu = process.cpuUsage()
  const cm = await mainMs()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < backlog) {
        const body = bodies[sent++ % bodies.length]!
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...signatureHeaders([secret], 'evt_x', body) },
        })
        await res.arrayBuffer()
      }
    }),
  )
  const ceiling = backlog / ((performance.now() - c0) / 1000)
  const ceilingCpu = cpuMs(process.cpuUsage(cu))
  const ceilingMain = (await mainMs()) - cm
  const rawThreads = await rawSplit(backlog)
  await stats()
  const pair = {
    drainRate,
    ceiling,
    ratio: drainRate / ceiling,
    drainCpuUs: (drainCpu * 1000) / Math.max(got, 1),
    ceilingCpuUs: (ceilingCpu * 1000) / backlog,
    drainMainUs: (drainMain * 1000) / Math.max(got, 1),
    ceilingMainUs: (ceilingMain * 1000) / backlog,
  }
  pairs.push(pair)
  console.log(
    `pair ${run + 1}: drained ${got}/${backlog} at ${fmt(drainRate)}/s (${pair.drainCpuUs.toFixed(1)} µs CPU/event), ` +
      `raw ${fmt(ceiling)}/s (${pair.ceilingCpuUs.toFixed(1)} µs CPU/POST), ratio ${pair.ratio.toFixed(2)}; ` +
      `event loop's thread ${pair.drainMainUs.toFixed(1)} vs ${pair.ceilingMainUs.toFixed(1)} µs`,
  )
  console.log(`  CPU per delivery by thread: ${drainThreads}`)
  console.log(`  CPU per raw POST by thread: ${rawThreads}`)
}
const mid = (k: keyof Pair) => median(pairs.map((p) => p[k]))
const [drainRate, ceiling, ratio] = [mid('drainRate'), mid('ceiling'), mid('ratio')]
const cpuRatio = mid('ceilingCpuUs') / mid('drainCpuUs')
const spread = `${Math.min(...pairs.map((p) => p.ratio)).toFixed(2)}–${Math.max(...pairs.map((p) => p.ratio)).toFixed(2)}`

const failed = rig.notSucceeded()
console.log(
  `steady ${rate}/s for ${seconds} s: ${delivered}/${produced} delivered (${Math.round(delivered / steadyElapsed)}/s), ` +
    `lag p50 ${steady.p50} ms, p99 ${steady.p99} ms, max ${steady.max} ms; CPU per event (appends included) ` +
    `${steadyCpu.allUs.toFixed(1)} µs, event loop's thread ${steadyCpu.mainUs.toFixed(1)} µs`,
)
console.log(
  `backlog of ${backlog} x ${runs}: median ${fmt(drainRate)}/s; raw signed POSTs ${fmt(ceiling)}/s; ratio ${ratio.toFixed(2)} ` +
    `(pairs ${spread}); CPU per event ${mid('drainCpuUs').toFixed(1)} µs vs ${mid('ceilingCpuUs').toFixed(1)} µs raw (CPU ratio ${cpuRatio.toFixed(2)}); ` +
    `event loop's thread ${mid('drainMainUs').toFixed(1)} µs vs ${mid('ceilingMainUs').toFixed(1)} µs`,
)
console.log(`deliveries not succeeded: ${failed}`)
console.log(
  `command: bun scripts/bench/webhooks.ts --rate ${rate} --seconds ${seconds} --backlog ${backlog} --sessions ${sessions} --concurrency ${concurrency} --runs ${runs}`,
)
report([
  ratioRow({
    metric: `webhook delivery, backlog of ${fmt(backlog)} drained (signed, attempt recorded, ${concurrency} in flight)`,
    measured:
      `${fmt(drainRate)} events/s (median of ${runs}; pair ratios ${spread}, CPU ratio ${cpuRatio.toFixed(2)})` +
      (drained < backlog * runs || failed ? ` (${drained} delivered, ${failed} not succeeded)` : ''),
    ceiling: `${fmt(ceiling)} POST/s (raw signed keep-alive fetch, same concurrency)`,
    ratio,
    min: 0.8,
    data: { drained, failed, drainRate, ceiling, cpuRatio, pairs },
  }),
  {
    metric: `webhook lag while ingesting ${fmt(rate)} events/s`,
    measured: `p50 ${steady.p50} ms, p99 ${steady.p99} ms (${fmt(delivered / steadyElapsed)} delivered/s)`,
    data: {
      produced,
      delivered,
      lagP50Ms: steady.p50,
      lagP99Ms: steady.p99,
      lagMaxMs: steady.max,
      cpuUsPerEvent: steadyCpu.allUs,
      mainCpuUsPerEvent: steadyCpu.mainUs,
    },
  },
])
child.kill()
await rig.close()
process.exit(0)
