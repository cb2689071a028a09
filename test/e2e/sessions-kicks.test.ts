// Each simulator kick reason drives the documented status and reconnect decision (research/baileys.md §6.1).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

let h: Harness
let n = 0
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const maxSeq = () => h.db.sqlite.query<{ s: number }, []>('SELECT coalesce(max(seq), 0) AS s FROM events').get()!.s
/** The `session.status` values of `sid` appended after `seq`. */
const statusesSince = (sid: string, seq: number) =>
  h.db.sqlite
    .query<{ data: string }, [number]>("SELECT data FROM events WHERE type = 'session.status' AND seq > ? ORDER BY seq")
    .all(seq)
    .map((e) => JSON.parse(e.data) as { id: string; status: string; lastError: string | null })
    .filter((s) => s.id === sid)
const authRows = (sid: string) =>
  h.db.sqlite.query<{ n: number }, [string]>('SELECT count(*) AS n FROM auth_state WHERE session_id = ?').get(sid)!.n

async function kicked(reason: string) {
  const phone = `1555126${String(++n).padStart(4, '0')}`
  const sid = await h.linkedSession(phone)
  const seq = maxSeq()
  const generation = h.supervisor.live(sid)!.generation
  expect((await h.control('POST', `/accounts/${phone}/devices:kick`, { reason })).body.kicked).toBe(1)
  return { sid, phone, seq, generation }
}

it('restart (515) reconnects at once with the same creds', async () => {
  const { sid, seq, generation } = await kicked('restart')
  await waitFor(
    'reconnected',
    () => h.supervisor.live(sid)!.generation > generation && h.session(sid).status === 'connected',
  )
  expect(statusesSince(sid, seq).map((s) => s.status)).toEqual(['starting', 'connected'])
})

it('drop (428) backs off, reconnects and clears the error', async () => {
  const { sid, seq } = await kicked('drop')
  await waitFor('connected again', () => statusesSince(sid, seq).at(-1)?.status === 'connected')
  const seen = statusesSince(sid, seq)
  expect(seen[0]).toMatchObject({ status: 'reconnecting' })
  expect(seen[0]!.lastError).toContain('428')
  expect(h.session(sid).last_error).toBeNull()
})

it('silence: the watchdog reports the deaf connection as degraded, then it reconnects', async () => {
  const { sid, seq } = await kicked('silence')
  await waitFor('connected again', () => statusesSince(sid, seq).at(-1)?.status === 'connected', 15_000)
  const seen = statusesSince(sid, seq)
  expect(seen.map((s) => s.status)).toEqual(['degraded', 'reconnecting', 'connected'])
  expect(seen[0]!.lastError).toContain('no data from WhatsApp')
  expect(seen[1]!.lastError).toContain('408')
}, 20_000)

it('conflict (440) reconnects with backoff, and a loop of conflicts stops the session', async () => {
  const { sid, phone, seq } = await kicked('conflict')
  await waitFor('connected again', () => statusesSince(sid, seq).at(-1)?.status === 'connected')
  expect(statusesSince(sid, seq)[0]!.lastError).toContain('440')
  for (let i = 0; i < 2; i++) {
    await waitFor('connected', () => h.session(sid).status === 'connected')
    await h.control('POST', `/accounts/${phone}/devices:kick`, { reason: 'conflict' })
    await waitFor('closed', () => h.session(sid).status !== 'connected')
  }
  await waitFor('failed', () => h.session(sid).status === 'failed')
  expect(h.session(sid).last_error).toContain('replaced repeatedly')
  expect(authRows(sid)).toBeGreaterThan(0) // creds kept: the operator may restart it
})

it('logged_out (401 device_removed) is terminal and wipes the creds', async () => {
  const { sid } = await kicked('logged_out')
  await waitFor('logged out', () => h.session(sid).status === 'logged_out')
  expect(h.session(sid).desired_state).toBe('stopped')
  expect(authRows(sid)).toBe(0)
})

it('failure (401 at login) is terminal and wipes the creds', async () => {
  const { sid } = await kicked('failure')
  await waitFor('logged out', () => h.session(sid).status === 'logged_out')
  expect(authRows(sid)).toBe(0)
})
