// Edits and deletes in a group, end to end through the real Baileys: a member's own, an admin's delete of another
// member's message, and the changes only a modified client sends (an edit of someone else's message, a delete of
// it by a member who is not an admin), which WhatsApp passes on and the official app ignores; so does the gateway.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551280001'
const ALICE = '15551280002' // creates every group: its superadmin
const BOB = '15551280003'
let h: Harness
let sid: string
let api: GatewayApi

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: ALICE, name: 'Alice' })
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
})
afterAll(() => h.close())

const enc = encodeURIComponent

async function group(subject: string, addressingMode: 'pn' | 'lid' = 'pn'): Promise<string> {
  const res = await h.control('POST', '/groups', { owner: ALICE, subject, participants: [ME, BOB], addressingMode })
  expect(res.status).toBe(201)
  const gid = res.body.jid as string
  await waitFor('the group stored', async () => (await api('GET', `/groups/${enc(gid)}`)).body.size === 3)
  return gid
}

/** `from` posts `body` to the group through the simulator; the post's id. */
async function post(gid: string, from: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.control('POST', `/groups/${gid}/messages`, { from, ...body })
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id
}

async function stored(gid: string, id: string) {
  return waitFor(`message ${id} stored`, async () => {
    const r = await api('GET', `/chats/${enc(gid)}/messages/${id}`)
    return r.status === 200 ? r.body : null
  })
}

/** The `type` events of message `id`, as [body, edited, deleted]. */
const eventsOf = (type: string, id: string) =>
  h
    .eventsOf(type)
    .filter((e) => e.data.id === id)
    .map((e) => [e.data.body, e.data.edited, e.data.deleted])

/**
 * A change the gateway ignores leaves no trace to wait for; the same member's next message, posted after it, is
 * stored only after it (one member's messages reach the session in order, and are ingested in order).
 */
async function settled(gid: string, from: string): Promise<void> {
  await stored(gid, await post(gid, from, { text: 'after' }))
}

it("stores a member's edit of their own message, announced once", async () => {
  const gid = await group('Edits')
  const id = await post(gid, BOB, { text: 'teh plan' })
  await stored(gid, id)
  await post(gid, BOB, { edit: { messageId: id, text: 'the plan' } })
  await waitFor('the edit', () => eventsOf('message.edited', id).length === 1)
  await settled(gid, BOB)
  expect(eventsOf('message.edited', id)).toEqual([['the plan', true, false]])
  expect(await stored(gid, id)).toMatchObject({ body: 'the plan', edited: true, deleted: false })
})

it("stores a member's delete of their own message, announced once", async () => {
  const gid = await group('Own deletes')
  const id = await post(gid, BOB, { text: 'oops' })
  await stored(gid, id)
  await post(gid, BOB, { revoke: { messageId: id } })
  await waitFor('the delete', () => eventsOf('message.deleted', id).length === 1)
  await settled(gid, BOB)
  expect(eventsOf('message.deleted', id)).toEqual([['oops', false, true]])
  expect(await stored(gid, id)).toMatchObject({ deleted: true })
})

it("stores an admin's delete of another member's message", async () => {
  const gid = await group('Moderated')
  const id = await post(gid, BOB, { text: 'spam' })
  await stored(gid, id)
  await post(gid, ALICE, { revoke: { messageId: id } })
  await waitFor('the delete', () => eventsOf('message.deleted', id).length === 1)
  expect(eventsOf('message.deleted', id)).toEqual([['spam', false, true]])
  expect(await stored(gid, id)).toMatchObject({ senderJid: `${BOB}@s.whatsapp.net`, deleted: true })
})

it("stores an admin's delete of a message this session sent", async () => {
  const gid = await group('Moderated ours')
  const sent = await api('POST', '/messages', { to: gid, text: 'from the gateway' })
  expect(sent.status).toBe(201)
  await waitFor('both phones have it', async () => {
    const msgs = (await h.control('GET', `/groups/${gid}/messages`)).body.data as any[]
    return msgs.some((m) => m.id === sent.body.id && m.decryptedBy.length === 2)
  })
  await post(gid, ALICE, { revoke: { messageId: sent.body.id } })
  await waitFor('the delete', () => eventsOf('message.deleted', sent.body.id).length === 1)
  expect(await stored(gid, sent.body.id)).toMatchObject({ fromMe: true, deleted: true })
})

it("ignores an edit of another member's message", async () => {
  const gid = await group('Forged edits')
  const id = await post(gid, ALICE, { text: 'meeting at 10' })
  await stored(gid, id)
  await post(gid, BOB, { edit: { messageId: id, text: 'meeting cancelled' } })
  await settled(gid, BOB)
  expect(eventsOf('message.edited', id)).toEqual([])
  expect(await stored(gid, id)).toMatchObject({ body: 'meeting at 10', edited: false })
})

it("ignores a delete of another member's message by a member who is not an admin", async () => {
  const gid = await group('Forged deletes')
  const id = await post(gid, ALICE, { text: 'keep me' })
  await stored(gid, id)
  await post(gid, BOB, { revoke: { messageId: id } })
  await settled(gid, BOB)
  expect(eventsOf('message.deleted', id)).toEqual([])
  expect(await stored(gid, id)).toMatchObject({ body: 'keep me', deleted: false })
})

it('matches the author of an edit in a LID-addressed group by either id', async () => {
  const gid = await group('LID edits', 'lid')
  const id = await post(gid, BOB, { text: 'lid typo' })
  await stored(gid, id)
  await post(gid, BOB, { edit: { messageId: id, text: 'lid fixed' } })
  await waitFor('the edit', () => eventsOf('message.edited', id).length === 1)
  const aliceId = await post(gid, ALICE, { text: "alice's" })
  await stored(gid, aliceId)
  await post(gid, BOB, { edit: { messageId: aliceId, text: 'not yours' } })
  await settled(gid, BOB)
  expect(eventsOf('message.edited', id)).toEqual([['lid fixed', true, false]])
  expect(await stored(gid, id)).toMatchObject({ senderJid: `${BOB}@s.whatsapp.net`, body: 'lid fixed' })
  expect(eventsOf('message.edited', aliceId)).toEqual([])
})

it('tells an admin from a member by either id in a LID-addressed group', async () => {
  const gid = await group('LID deletes', 'lid')
  const bobs = await post(gid, BOB, { text: 'spam' })
  const alices = await post(gid, ALICE, { text: 'rules' })
  await stored(gid, bobs)
  await stored(gid, alices)
  await post(gid, BOB, { revoke: { messageId: alices } })
  await post(gid, ALICE, { revoke: { messageId: bobs } })
  await waitFor("the admin's delete", () => eventsOf('message.deleted', bobs).length === 1)
  await settled(gid, BOB)
  expect(eventsOf('message.deleted', bobs)).toEqual([['spam', false, true]])
  expect(eventsOf('message.deleted', alices)).toEqual([])
})

it("stores the delete of a member's message made on our phone, where we are an admin", async () => {
  const res = await h.control('POST', '/groups', { owner: ME, subject: 'Ours', participants: [ALICE, BOB] })
  const gid = res.body.jid as string
  await waitFor('the group stored', async () => (await api('GET', `/groups/${enc(gid)}`)).body.size === 3)
  const bobs = await post(gid, BOB, { text: 'off topic' })
  await stored(gid, bobs)
  await post(gid, ME, { revoke: { messageId: bobs } })
  await waitFor('the delete', () => eventsOf('message.deleted', bobs).length === 1)
  expect(eventsOf('message.deleted', bobs)).toEqual([['off topic', false, true]])
})
