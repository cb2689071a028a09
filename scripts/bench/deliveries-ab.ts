// The SQLite deliveries store's cost per delivery, A/B in one process: for a loaded machine, where webhooks.ts's
// figures move with the neighbours' load far more than a change of a microsecond or two. This checkout and a
// `--base` checkout, each with its own database, take the same backlog through fan-out, claim and record in turns
// (one batch each, the order reversed every round). Fan-out is timed per full batch of 500 on the wall clock and
// its low quantiles compared (a batch a neighbour did not interrupt shows the cost itself; the thread CPU clock of
// this VM moves in 4 ms ticks, too coarse for one batch); claim and record as the event loop's CPU per delivery.
//   bun scripts/bench/deliveries-ab.ts --base <dir> [--backlog 10000] [--rounds 15]
// With --live, live traffic instead: batches of --batch events (default 50) committed, then as the dispatcher takes
// them while caught up: fan-out (claiming what it makes, where the checkout's store does), else a claim and the next
// due time, then the outcomes recorded; timed per batch on the wall clock, in turns.
// A base checkout: `mkdir /tmp/base && git archive <rev> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Job } from '../../src/store/deliveries.ts'
import type { Stores } from '../../src/store/index.ts'
import type { Db } from '../../src/store/db.ts'
import type { WebhookTarget } from '../../src/store/webhooks.ts'
import { arg, cpuSeconds, root } from './lib.ts'

const i = process.argv.indexOf('--base')
const base = i > 0 ? process.argv[i + 1] : undefined
if (!base) throw new Error('usage: bun scripts/bench/deliveries-ab.ts --base <dir> [--backlog 10000] [--rounds 15]')
const backlog = arg('backlog', 10_000)
const rounds = arg('rounds', 15)
const data = { id: '3EB0C767D26A3D5E1C3F', chatId: '6281234567890@s.whatsapp.net', type: 'text', body: 'x'.repeat(200) }
const cpuUs = async () => (await cpuSeconds(process.pid, process.pid)) * 1e6

type Side = { name: string; db: Db; stores: Stores; target: WebhookTarget; dir: string; batches: number[] }
async function side(name: string, dir: string): Promise<Side> {
  const { openDb } = (await import(join(dir, 'src/store/db.ts'))) as typeof import('../../src/store/db.ts')
  const { createStores } = (await import(join(dir, 'src/store/index.ts'))) as typeof import('../../src/store/index.ts')
  const tmp = mkdtempSync(join(tmpdir(), 'wagate-deliveries-ab-'))
  const db = openDb(join(tmp, 'bench.db'), { checkpoint: 'background' })
  const stores = createStores(db, randomBytes(32))
  stores.orgs.create('bench')
  const hook = stores.webhooks.create(
    'bench',
    { url: 'http://127.0.0.1:1/hook', events: ['*'] },
    'whsec_' + 'A'.repeat(43),
  )
  const target = stores.webhooks.enabledTargets(() => {}).find((t) => t.id === hook.id)!
  return { name, db, stores, target, dir: tmp, batches: [] }
}
const sides = [await side('this checkout', root), await side(`base ${base}`, base)]

if (process.argv.includes('--live')) {
  const batch = arg('batch', 50)
  const times: number[][] = sides.map(() => [])
  const attempt = { at: 0, statusCode: 204, latencyMs: 1, error: null, response: null }
  let n = 0
  for (let round = 0; round < rounds * 20; round++)
    for (const j of round % 2 ? [1, 0] : [0, 1]) {
      const s = sides[j]!
      s.db.sqlite.transaction(() => {
        for (let k = 0; k < batch; k++, n++)
          s.stores.events.append({ type: 'message.received', orgId: 'bench', sessionId: `s${n % 16}`, data })
      })()
      const t = performance.now()
      const now = Date.now()
      // A base checkout whose fan-out takes no claim answers no jobs: the claim takes them, as its dispatcher does.
      const r = s.stores.deliveries.fanOut(s.target, () => true, 500, now, 272) as { hwm: number; jobs?: Job[] }
      s.target.hwm = r.hwm
      let jobs = r.jobs ?? []
      if (!jobs.length) {
        jobs = s.stores.deliveries.claim(s.target.id, 272)
        s.stores.deliveries.nextDue(s.target.id)
      }
      s.stores.deliveries.record(
        jobs.map((job) => ({ pk: job.pk, status: 'succeeded' as const, nextAttemptAt: now, attempt })),
      )
      times[j]!.push(((performance.now() - t) * 1000) / batch)
    }
  const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor(v.length * p)]!.toFixed(2)
  sides.forEach((s, j) =>
    console.log(
      `${s.name}: live batches of ${batch} (${times[j]!.length}), store work per delivery: p10 ${q(times[j]!, 0.1)} ` +
        `p25 ${q(times[j]!, 0.25)} p50 ${q(times[j]!, 0.5)} µs wall`,
    ),
  )
  for (const s of sides) {
    await s.db.close()
    rmSync(s.dir, { recursive: true, force: true })
  }
  process.exit(0)
}
const cpu = sides.map(() => ({ claim: 0, record: 0 }))

let n = 0
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [1, 0] : [0, 1]
  for (const s of sides)
    for (let left = backlog; left > 0; left -= 1000)
      s.db.sqlite.transaction(() => {
        for (let k = 0; k < Math.min(1000, left); k++, n++)
          s.stores.events.append({ type: 'message.received', orgId: 'bench', sessionId: `s${n % 16}`, data })
      })()
  for (let more = true; more;) {
    more = false
    for (const j of order) {
      const s = sides[j]!
      const t = performance.now()
      const r = s.stores.deliveries.fanOut(s.target, () => true, 500)
      if (r.made === 500) s.batches.push(((performance.now() - t) * 1000) / 500)
      s.target.hwm = r.hwm
      more ||= r.full
    }
  }
  const jobs: Job[][] = sides.map(() => [])
  for (let more = true; more;) {
    more = false
    for (const j of order) {
      const c = await cpuUs()
      const got = sides[j]!.stores.deliveries.claim(sides[j]!.target.id, 256)
      cpu[j]!.claim += (await cpuUs()) - c
      jobs[j]!.push(...got)
      more ||= got.length > 0
    }
  }
  const now = Date.now()
  const attempt = { at: now, statusCode: 204, latencyMs: 1, error: null, response: null }
  for (let k = 0; k < backlog; k += 100)
    for (const j of order) {
      const outcomes = jobs[j]!.slice(k, k + 100).map((job) => ({
        pk: job.pk,
        status: 'succeeded' as const,
        nextAttemptAt: now,
        attempt,
      }))
      const c = await cpuUs()
      sides[j]!.stores.deliveries.record(outcomes)
      cpu[j]!.record += (await cpuUs()) - c
    }
}

const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor(v.length * p)]!.toFixed(2)
const per = (us: number) => (us / (backlog * rounds)).toFixed(2)
sides.forEach((s, j) =>
  console.log(
    `${s.name}: fan-out per delivery, batches of 500 (${s.batches.length}): p10 ${q(s.batches, 0.1)} p25 ` +
      `${q(s.batches, 0.25)} p50 ${q(s.batches, 0.5)} µs wall; claim ${per(cpu[j]!.claim)}, record ` +
      `${per(cpu[j]!.record)} µs CPU`,
  ),
)
for (const s of sides) {
  await s.db.close()
  rmSync(s.dir, { recursive: true, force: true })
}
process.exit(0)
