// The webhook dispatcher's own cost per delivery, without the network: a backlog drained through fan-out, claim,
// signing, the lanes and the recorded attempt, with an in-memory fetch that answers 204 at once, on this thread. The
// delivery bench (webhooks.ts) measures against real sockets and a receiver, where two cores are shared by four busy
// threads and its ratio moved 0.54–0.62 on the same code within an hour; with no socket, thread or receiver this one
// moves far less (13.0–15.5 µs a delivery on the same code over an hour), so it is the one to compare a change of
// the store path or the lanes against — alternating the old and the new checkout, several times each.
//   bun scripts/bench/webhook-pipeline.ts [--backlog 50000] [--runs 5] [--concurrency 16] [--sessions 16]
import { deliveryRig } from './delivery-rig.ts'
import { arg, fmt, median } from './lib.ts'

const backlog = arg('backlog', 50_000)
const runs = arg('runs', 5)
const concurrency = arg('concurrency', 16)
const sessions = arg('sessions', 16)

let answered = 0
let drained: (() => void) | null = null
const rig = deliveryRig({
  url: 'http://127.0.0.1:9/hook',
  concurrency,
  // The body is read as a real fetch would read it to send it; the answer is a bodiless 204.
  send: {
    fetch: (_url, init) => {
      void String(init.body).length
      if (++answered % backlog === 0) setTimeout(() => drained?.(), 0)
      return Promise.resolve(new Response(null, { status: 204 }))
    },
  },
})
const { dispatcher } = rig

const results: { rate: number; cpuUs: number; userUs: number }[] = []
for (let run = 0; run < runs; run++) {
  for (let left = backlog; left > 0; left -= 1000) rig.ingest(Math.min(1000, left), sessions)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    drained = resolve
    void dispatcher.start()
  })
  const seconds = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  await dispatcher.stop()
  const r = { rate: backlog / seconds, cpuUs: (c.user + c.system) / backlog, userUs: c.user / backlog }
  results.push(r)
  console.log(
    `run ${run + 1}: ${fmt(r.rate)} deliveries/s, ${r.cpuUs.toFixed(2)} µs CPU a delivery (user ${r.userUs.toFixed(2)})`,
  )
}
const failed = rig.notSucceeded()
if (failed) throw new Error(`${failed} deliveries did not succeed`)
console.log(
  `median of ${runs}: ${fmt(median(results.map((r) => r.rate)))} deliveries/s, ` +
    `${median(results.map((r) => r.cpuUs)).toFixed(2)} µs CPU a delivery ` +
    `(bun scripts/bench/webhook-pipeline.ts --backlog ${backlog} --runs ${runs} --concurrency ${concurrency} --sessions ${sessions})`,
)
await rig.close()
process.exit(0)
