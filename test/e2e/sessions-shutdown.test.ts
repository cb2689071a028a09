// Graceful shutdown loses nothing: everything the device receipted is stored when shutdown() returns (Baileys'
// event buffer is flushed before end), and the rest is redelivered after the restart and stored exactly once.
import { expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551300001'
const BOB = '15551300002'

/** What the simulator saw our device receipt, and which of those ids are not in the store. */
async function receipts(h: Harness): Promise<{ missing: string[]; receipted: number }> {
  const sent = (await h.control('GET', `/accounts/${BOB}/sent`)).body.data as {
    id: string
    devices: { state: string }[]
  }[]
  const receipted = sent.filter((s) => s.devices.some((d) => d.state === 'receipted')).map((s) => s.id)
  const stored = new Set(
    h.db.sqlite
      .query<{ wa_id: string }, []>('SELECT wa_id FROM messages')
      .all()
      .map((r) => r.wa_id),
  )
  return { missing: receipted.filter((id) => !stored.has(id)), receipted: receipted.length }
}

const burst = async (h: Harness, text: string) =>
  (
    (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text, count: 500 })).body.data as { id: string }[]
  ).map((b) => b.id)

it('stores every message exactly once across a shutdown during live traffic and one during offline catch-up', async () => {
  let h = await startHarness()
  const { sim, dir, secretKey } = h
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  const sid = await h.linkedSession(ME)
  const live = await burst(h, 'live')
  await waitFor('some stored', () => h.eventsOf('message.received').length >= 20)
  await h.close(true) // shutdown mid-burst
  const reopen = () => startHarness({ sim, dir, secretKey })

  // Queued while we are offline: delivered as the offline backlog on login, which Baileys buffers until the
  // backlog ends (research/baileys.md §3.0). Shut down as soon as the device has receipted some of it.
  const offline = await burst(h, 'offline')
  h = await reopen()
  expect((await receipts(h)).missing).toEqual([])
  const before = (await receipts(h)).receipted
  await h.supervisor.restore()
  await waitFor('offline backlog receipted', async () => (await receipts(h)).receipted > before, 15_000)
  await h.close(true)

  h = await reopen()
  try {
    expect((await receipts(h)).missing).toEqual([])
    await h.supervisor.restore()
    const ids = [...live, ...offline]
    const countOf = () =>
      h.db.sqlite
        .query<{ n: number }, string[]>(
          `SELECT count(*) AS n FROM messages WHERE wa_id IN (${ids.map(() => '?').join(',')})`,
        )
        .get(...ids)!.n
    await waitFor('all 1000 stored', () => countOf() === 1000, 30_000)
    const events = h.eventsOf('message.received').filter((e) => ids.includes(e.data.id))
    expect(events).toHaveLength(1000)
    expect(new Set(events.map((e) => e.data.id)).size).toBe(1000)
  } finally {
    await h.close()
  }
}, 60_000)
