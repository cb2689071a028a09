// Contacts, presence and chat actions end to end: the HTTP API, the real Baileys, the simulator's usync,
// pictures, block list, presence and app-state sync (both directions).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551290001'
const BOB = '15551290002'
const CAROL = '15551290003'
const NOBODY = '15551290009'
let h: Harness
let sid: string
let api: GatewayApi
const acct: Record<string, { jid: string; lid: string }> = {}

beforeAll(async () => {
  h = await startHarness()
  for (const [phone, name] of <[string, string][]>[
    [BOB, 'Bob'],
    [CAROL, 'Carol'],
  ])
    acct[phone] = (await h.control('POST', '/accounts', { phone, name })).body
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
  for (const phone of [BOB, CAROL]) {
    const m = (await h.control('POST', `/accounts/${phone}/messages`, { to: ME, text: `hi from ${phone}` })).body
    await waitFor('the message', () => h.db.sqlite.query('SELECT 1 FROM messages WHERE wa_id = ?').get(m.id))
  }
})
afterAll(() => h.close())

const enc = encodeURIComponent
const bob = () => acct[BOB]!
const phoneChat = async (jid: string) =>
  ((await h.control('GET', `/accounts/${ME}/chats`)).body.data as any[]).find((c) => c.jid === jid)
const storedChat = async (jid: string) => (await api('GET', `/chats/${enc(jid)}`)).body

it(':check reports an existing number with its JID and LID, and a number not on WhatsApp as missing', async () => {
  const res = await api('POST', '/contacts:check', { phones: [BOB, `+${NOBODY}`] })
  expect(res.status).toBe(200)
  expect(res.body.data).toEqual([
    { phone: BOB, exists: true, jid: bob().jid, lid: bob().lid },
    { phone: `+${NOBODY}`, exists: false, jid: null, lid: null },
  ])
})

it("gives a contact's picture URL, and 404 when there is none", async () => {
  await h.control('POST', `/accounts/${BOB}/picture`, { url: 'https://pps.example.test/bob.jpg' })
  const res = await api('GET', `/contacts/${enc(bob().jid)}/picture`)
  expect(res.status).toBe(200)
  expect(res.body.url).toContain('bob.jpg')
  expect((await api('GET', `/contacts/${enc(acct[CAROL]!.jid)}/picture`)).status).toBe(404)
})

it('blocks and unblocks a contact on WhatsApp and in the stored copy', async () => {
  expect((await api('POST', `/contacts/${enc(bob().jid)}:block`)).status).toBe(204)
  expect((await h.control('GET', `/accounts/${ME}/profile`)).body.blocked).toContain(bob().jid)
  expect((await api('GET', `/contacts/${enc(bob().jid)}`)).body.blocked).toBe(true)
  expect((await api('POST', `/contacts/${enc(bob().jid)}:unblock`)).status).toBe(204)
  expect((await h.control('GET', `/accounts/${ME}/profile`)).body.blocked).not.toContain(bob().jid)
  expect((await api('GET', `/contacts/${enc(bob().jid)}`)).body.blocked).toBe(false)
})

it('raises presence.updated after :subscribePresence, and shows typing to the contact', async () => {
  expect((await api('POST', `/contacts/${enc(bob().jid)}:subscribePresence`)).status).toBe(204)
  await h.control('POST', `/accounts/${BOB}/presence`, { state: 'available' })
  await waitFor('presence.updated', () =>
    h.eventsOf('presence.updated').find((e) => e.data.jid === bob().jid && e.data.presence === 'available'),
  )
  expect((await api('POST', `/chats/${enc(bob().jid)}:typing`, { state: 'composing' })).status).toBe(204)
  await waitFor('Bob sees typing', async () =>
    ((await h.control('GET', `/accounts/${BOB}/profile`)).body.chatstates as any[]).some(
      (c) => c.state === 'composing',
    ),
  )
})

it('archives, pins, mutes and marks read through app-state sync, as the phone then shows the chat', async () => {
  const jid = bob().jid
  const archived = await api('POST', `/chats/${enc(jid)}:archive`)
  expect(archived.status).toBe(200)
  expect(archived.body.archived).toBe(true)
  await waitFor('the phone shows it archived', async () => (await phoneChat(jid))?.archived === true)
  expect((await api('POST', `/chats/${enc(jid)}:pin`)).body.pinned).toBe(true)
  await waitFor('the phone shows it pinned', async () => (await phoneChat(jid))?.pinned === true)
  const until = Date.now() + 3_600_000
  expect((await api('POST', `/chats/${enc(jid)}:mute`, { until })).body.mutedUntil).toBe(until)
  await waitFor('the phone shows it muted', async () => (await phoneChat(jid))?.mutedUntil === until)
  expect((await storedChat(jid)).unreadCount).toBe(1)
  expect((await api('POST', `/chats/${enc(jid)}:markRead`)).body.unreadCount).toBe(0)
  await waitFor('the phone shows it read', async () => (await phoneChat(jid))?.unreadCount === 0)
  const events = h.eventsOf('chat.updated').filter((e) => e.data.jid === jid)
  expect(events.at(-1)!.data).toMatchObject({ archived: true, pinned: true, mutedUntil: until, unreadCount: 0 })
})

it('stores archive, pin, mute and unread done on the phone', async () => {
  const jid = acct[CAROL]!.jid
  await h.control('POST', `/accounts/${ME}/chats/${jid}:archive`)
  await waitFor('archived in the store', async () => (await storedChat(jid)).archived === true)
  await h.control('POST', `/accounts/${ME}/chats/${jid}:pin`)
  await waitFor('pinned in the store', async () => (await storedChat(jid)).pinned === true)
  const until = Date.now() + 7_200_000
  await h.control('POST', `/accounts/${ME}/chats/${jid}:mute`, { until })
  await waitFor('muted in the store', async () => (await storedChat(jid)).mutedUntil === until)
  await h.control('POST', `/accounts/${ME}/chats/${jid}:markRead`)
  await waitFor('read in the store', async () => (await storedChat(jid)).unreadCount === 0)
  await h.control('POST', `/accounts/${ME}/chats/${jid}:unarchive`)
  await waitFor('unarchived in the store', async () => (await storedChat(jid)).archived === false)
  expect(h.eventsOf('chat.updated').some((e) => e.data.jid === jid && e.data.archived === true)).toBe(true)
})

it('deletes a chat on the account and from the stored copy', async () => {
  const jid = bob().jid
  expect((await api('DELETE', `/chats/${enc(jid)}`)).status).toBe(204)
  expect((await api('GET', `/chats/${enc(jid)}`)).status).toBe(404)
  expect(h.eventsOf('chat.deleted').map((e) => e.data.jid)).toContain(jid)
  await waitFor('the phone no longer lists it', async () => !(await phoneChat(jid)))
})
