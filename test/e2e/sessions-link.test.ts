import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

it('links a session by QR and stores the account phone, JID and LID', async () => {
  const phone = '15551230001'
  const sid = await h.linkedSession(phone)
  const row = h.session(sid)
  const account = (await h.control('GET', `/accounts/${phone}`)).body
  expect(row.status).toBe('connected')
  expect(row.phone).toBe(phone)
  expect(row.jid).toBe(`${phone}@s.whatsapp.net`)
  expect(row.lid).toBe(account.lid)
  expect(row.connected_at).toBeGreaterThan(0)
  const statuses = h.eventsOf('session.status').map((e) => e.data.status)
  expect(statuses).toContain('qr')
  expect(statuses.at(-1)).toBe('connected')
  expect(h.eventsOf('session.qr').length).toBeGreaterThan(0)
})

it('stores the history sync of the first login: chats with names, messages without unread bumps or events', async () => {
  const phone = '15551230002'
  const alice = '15551239999@s.whatsapp.net'
  const t = Date.now() - 3_600_000
  await h.control('POST', '/accounts', {
    phone,
    history: { chats: [{ jid: alice, name: 'Alice', messages: [{ id: 'HIST1', text: 'old news', timestamp: t }] }] },
  })
  const sid = await h.linkedSession(phone)
  const row = await waitFor('the history message', () =>
    h.db.sqlite
      .query<Record<string, any>, [string]>("SELECT * FROM messages WHERE session_id = ? AND wa_id = 'HIST1'")
      .get(sid),
  )
  expect(row).toMatchObject({ chat_jid: alice, body: 'old news', from_me: 0 })
  const chat = h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM chats WHERE session_id = ? AND jid = ?')
    .get(sid, alice)!
  expect(chat).toMatchObject({ type: 'dm', unread_count: 0 })
  expect(h.eventsOf('message.received').some((e) => e.data.id === 'HIST1')).toBe(false)
})

it('removes a session: closes its socket and forgets it', async () => {
  const sid = await h.linkedSession('15551230003')
  await h.supervisor.remove(sid)
  expect(h.supervisor.live(sid)).toBeNull()
  expect(await h.supervisor.qr(sid)).toBeNull()
  await waitFor('offline on the simulator', async () =>
    ((await h.control('GET', '/accounts/15551230003')).body.devices as { state: string }[]).every(
      (d) => d.state === 'offline',
    ),
  )
})
