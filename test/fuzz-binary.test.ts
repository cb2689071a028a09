// Hostile input against the running binary: a seeded fuzz run (scripts/fuzz.ts runs the full 10,000+).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBinary, startBinary } from './helpers/binary.ts'
import { exerciseLimits, fuzzLimits, fuzzServeFlags, type LimitsReport } from './helpers/fuzz-limits.ts'
import { fuzzContext, runFuzz, type FuzzReport } from './helpers/fuzz-run.ts'

const COUNT = 1500
const SEED = 20261122
const dir = mkdtempSync(join(tmpdir(), 'wagate-fuzz-'))
let gw: Awaited<ReturnType<typeof startBinary>>
let report: FuzzReport
let limits: LimitsReport

beforeAll(async () => {
  gw = await startBinary(buildBinary(), join(dir, 'data'), dir, fuzzServeFlags)
  const ctx = await fuzzContext(gw.url, gw.key!, 65536)
  report = await runFuzz({ url: gw.url, dbPath: join(dir, 'data', 'wagate.db'), ctx, seed: SEED, count: COUNT })
  limits = await exerciseLimits(gw.url, gw.key!)
}, 180_000)

afterAll(async () => {
  gw.proc.kill('SIGTERM')
  await gw.proc.exited
  rmSync(dir, { recursive: true, force: true })
})

it(`answers ${COUNT} generated requests with no 5xx, only enveloped errors, no data changed by a rejection`, () => {
  expect(report.violations).toEqual([])
  expect(report.sent).toBeGreaterThan(COUNT * 0.95)
})

it('exercised both accepted and rejected requests', () => {
  const statuses = Object.keys(report.byStatus).map(Number)
  expect(statuses.some((s) => s < 300)).toBe(true)
  for (const s of [400, 401, 404]) expect(statuses).toContain(s)
})

it('limits a principal past its burst with 429 and Retry-After, and keeps the contract doing so', () => {
  expect(limits.violations).toEqual([])
  expect(Object.keys(limits.burst).sort()).toEqual(['200', '429'])
  expect(limits.burst[200]).toBeGreaterThanOrEqual(fuzzLimits.burst)
  expect(limits.burst[429]).toBeGreaterThan(0)
})

it('refuses a live stream past the per-organisation limit with 429, and a webhook past it with 409', () => {
  expect([limits.streamRefused, limits.webhookRefused]).toEqual([429, 409])
})

it('is still healthy afterwards', async () => {
  expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)
  const res = await fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${gw.key}` } })
  expect(res.status).toBe(200)
})
