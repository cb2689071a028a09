// What the account's own phone does, as the gateway (a linked device) sees it through the real Baileys: WhatsApp
// copies each message typed on the phone to the linked devices (a DeviceSentMessage addressed to the recipient), so
// it is stored as ours and announced once, and so are its edit, its delete and the phone's reactions.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551290001'
const BOB = '15551290002'
const ME_JID = `${ME}@s.whatsapp.net`
const BOB_JID = `${BOB}@s.whatsapp.net`
let h: Harness
let sid: string
let api: GatewayApi

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
})
afterAll(() => h.close())

const enc = encodeURIComponent
/** The phone of this session's account does something in its chat with Bob; the id of what it sent. */
async function onPhone(body: Record<string, unknown>): Promise<string> {
  const res = await h.control('POST', `/accounts/${ME}/messages`, { to: BOB, ...body })
  if (res.status !== 201) throw new Error(`phone send failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}
const stored = (id: string) =>
  waitFor(`message ${id}`, async () => {
    const r = await api('GET', `/chats/${enc(BOB_JID)}/messages/${id}`)
    return r.status === 200 ? r.body : null
  })
/** Every event about message `id`, as [type, body, status, edited, deleted]. */
const eventsAbout = (id: string) =>
  h.db.sqlite
    .query<{ type: string; data: string }, []>("SELECT type, data FROM events WHERE type LIKE 'message.%' ORDER BY seq")
    .all()
    .map((e) => ({ type: e.type, m: JSON.parse(e.data) }))
    .filter((e) => (e.m.message ?? e.m).id === id)
    .map(({ type, m }) => [type, m.body, m.status, m.edited, m.deleted])

it('stores a message typed on the phone as ours, with one message.sent', async () => {
  const id = await onPhone({ text: 'typed on the phone' })
  expect(await stored(id)).toMatchObject({
    chatJid: BOB_JID,
    fromMe: true,
    direction: 'out',
    senderJid: ME_JID,
    body: 'typed on the phone',
    status: 'sent',
  })
  expect(eventsAbout(id)).toEqual([['message.sent', 'typed on the phone', 'sent', false, false]])
  const chat = (await api('GET', `/chats/${enc(BOB_JID)}`)).body
  expect(chat.unreadCount).toBe(0)
})

it("applies the phone's edit and delete of its own message, each announced once", async () => {
  const id = await onPhone({ text: 'teh' })
  await stored(id)
  await onPhone({ edit: { messageId: id, text: 'the' } })
  await waitFor('the edit', async () => (await stored(id)).edited)
  await onPhone({ revoke: { messageId: id } })
  await waitFor('the delete', async () => (await stored(id)).deleted)
  expect(eventsAbout(id)).toEqual([
    ['message.sent', 'teh', 'sent', false, false],
    ['message.edited', 'the', 'sent', true, false],
    ['message.deleted', 'the', 'sent', true, true],
  ])
})

it("names the phone's reaction to a contact's message by this account's JID", async () => {
  const theirs = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'react to me' })).body.id
  await stored(theirs)
  await onPhone({ reaction: { messageId: theirs, emoji: '🙏' } })
  const reactions = () =>
    h
      .eventsOf('message.reaction')
      .filter((e) => e.data.message.id === theirs)
      .map((e) => [e.data.reactor, e.data.reaction])
  await waitFor('the reaction', () => reactions().length === 1)
  await onPhone({ reaction: { messageId: theirs, emoji: '' } })
  await waitFor('the removal', () => reactions().length === 2)
  expect(reactions()).toEqual([
    [ME_JID, '🙏'],
    [ME_JID, null],
  ])
})
