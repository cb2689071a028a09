// The webhook sender alone, against a raw fetch loop: no store, no dispatcher, no worker thread. The sender's lanes
// (src/events/sender.ts, on this thread, through the egress policy's fetch) take synthetic claimed jobs, kept topped
// up as the dispatcher does (a buffer of 256 plus the concurrency, refilled below half), and POST them to a receiver
// child process; the ceiling is the same bodies, signed, POSTed by a plain keep-alive fetch loop at the same
// concurrency. Runs alternate; each prints throughput and this thread's CPU per request (Linux /proc), which is what
// the sender adds per delivery on top of Bun's HTTP client thread (the same on both sides).
//   bun scripts/bench/sender.ts [--requests 50000] [--concurrency 16] [--runs 3]
import { generateSecret } from '../../src/events/secrets.ts'
import { threadSender } from '../../src/events/sender.ts'
import { signatureHeaders } from '../../src/events/signing.ts'
import { createEgress, parseAllowList } from '../../src/media/egress.ts'
import type { Job } from '../../src/store/deliveries.ts'
import { arg, cpuSeconds, fmt, median } from './lib.ts'

if (process.argv.includes('--receiver')) {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      await req.arrayBuffer()
      return new Response(null, { status: 204 })
    },
  })
  console.log(JSON.stringify({ port: server.port }))
  await new Promise(() => {})
}

const requests = arg('requests', 50_000)
const concurrency = arg('concurrency', 16)
const runs = arg('runs', 3)
const buffer = Math.max(256, concurrency * 16)

const child = Bun.spawn([process.execPath, import.meta.path, '--receiver'], { stdout: 'pipe', stderr: 'inherit' })
const first = await (child.stdout as ReadableStream<Uint8Array>).getReader().read()
const { port } = JSON.parse(new TextDecoder().decode(first.value)) as { port: number }
const url = `http://127.0.0.1:${port}/hook`
const secret = generateSecret()
const body = JSON.stringify({
  id: 'evt_01JBENCH0000000000000000',
  type: 'message.received',
  createdAt: Date.now(),
  orgId: 'bench',
  sessionId: 's0',
  data: { id: '3EB0C767D26A3D5E1C3F', chatId: '6281234567890@s.whatsapp.net', type: 'text', body: 'x'.repeat(200) },
})
const egress = createEgress({ allow: parseAllowList('127.0.0.0/8').allow })
const threadUs = async () => (await cpuSeconds(process.pid, process.pid)) * 1e6

/** The sender's lanes, fed like the dispatcher feeds them, until every job has been reported. */
async function lanes() {
  let made = 0
  let queued = 0
  let reported = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  const feed = () => {
    const jobs: Job[] = []
    for (; queued < buffer + concurrency && made < requests; made++, queued++)
      jobs.push({
        pk: made,
        id: `dlv_${made}`,
        webhookId: 'w',
        eventId: `evt_${made}`,
        sessionId: `s${made % 16}`,
        attemptCount: 0,
        body,
        eventCreatedAt: Date.now(),
      })
    if (jobs.length) sender.send('w', jobs)
  }
  const sender = threadSender({
    schedule: [1000],
    timeoutMs: 10_000,
    concurrency,
    userAgent: 'wagate-webhooks',
    fetch: egress.fetch,
    failed: (err) => console.error(err),
    report: (rs) => {
      for (const r of rs) if (r.status !== 'succeeded') throw new Error(`a request failed: ${JSON.stringify(r)}`)
      reported += rs.length
      queued -= rs.length
      if (queued < buffer / 2 + concurrency) feed()
      if (reported === requests) done()
    },
  })
  sender.target({ id: 'w', url, secrets: [secret], previousUntil: 0 })
  feed()
  await finished
}

/** The ceiling: signed keep-alive POSTs of the same body, `concurrency` at a time. */
async function raw() {
  let sent = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < requests) {
        sent++
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...signatureHeaders([secret], 'evt_x', body) },
        })
        await res.arrayBuffer()
      }
    }),
  )
}

const figures = { lanes: [] as { rate: number; us: number }[], raw: [] as { rate: number; us: number }[] }
for (let run = 0; run < runs; run++)
  for (const [name, go] of (run % 2
    ? [
        ['raw', raw],
        ['lanes', lanes],
      ]
    : [
        ['lanes', lanes],
        ['raw', raw],
      ]) as ['lanes' | 'raw', () => Promise<void>][]) {
    const c0 = await threadUs()
    const t0 = performance.now()
    await go()
    const rate = requests / ((performance.now() - t0) / 1000)
    const us = ((await threadUs()) - c0) / requests
    figures[name].push({ rate, us })
    console.log(`run ${run + 1}, ${name}: ${fmt(rate)} requests/s, ${us.toFixed(1)} µs of this thread's CPU a request`)
  }
const mid = (name: 'lanes' | 'raw', k: 'rate' | 'us') => median(figures[name].map((f) => f[k]))
console.log(
  `median of ${runs}: sender ${fmt(mid('lanes', 'rate'))}/s at ${mid('lanes', 'us').toFixed(1)} µs a request, raw ` +
    `${fmt(mid('raw', 'rate'))}/s at ${mid('raw', 'us').toFixed(1)} µs; ratio ${(mid('lanes', 'rate') / mid('raw', 'rate')).toFixed(2)}`,
)
console.log(`command: bun scripts/bench/sender.ts --requests ${requests} --concurrency ${concurrency} --runs ${runs}`)
child.kill()
process.exit(0)
