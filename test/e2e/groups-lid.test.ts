// LID-addressed groups and senders, and group sends served from the stored metadata (no query per send).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551270001'
const ALICE = '15551270002'
const BOB = '15551270003'
let h: Harness
let sid: string
let api: GatewayApi
const acct: Record<string, { jid: string; lid: string }> = {}

beforeAll(async () => {
  // No watchdog: the in-process simulator decrypting 1,000 group messages keeps the event loop busy for seconds.
  h = await startHarness({ deafAfterMs: 0 })
  for (const [phone, name] of <[string, string][]>[
    [ALICE, 'Alice'],
    [BOB, 'Bob'],
  ])
    acct[phone] = (await h.control('POST', '/accounts', { phone, name })).body
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
})
afterAll(() => h.close())

const enc = encodeURIComponent
const storedMessage = (waId: string) =>
  h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM messages WHERE session_id = ? AND wa_id = ?')
    .get(sid, waId)

/** A LID-addressed group Alice creates with us and Bob, once the gateway has stored it with its three members. */
async function lidGroup(subject: string): Promise<{ jid: string }> {
  const g = (
    await h.control('POST', '/groups', { owner: ALICE, subject, participants: [ME, BOB], addressingMode: 'lid' })
  ).body
  await waitFor('the group', async () => (await api('GET', `/groups/${enc(g.jid)}`)).body.size === 3)
  return g
}

it('resolves a LID sender to its phone, and answers the same contact by LID and by PN', async () => {
  await h.control('POST', `/accounts/${BOB}/addressing`, { mode: 'lid' })
  const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'from my LID' })).body
  const row = await waitFor('the message', () => storedMessage(sent.id))
  expect(row).toMatchObject({ sender_lid: acct[BOB]!.lid, sender_jid: acct[BOB]!.jid })
  const byLid = await api('GET', `/contacts/${enc(acct[BOB]!.lid)}`)
  expect(byLid.body).toMatchObject({ jid: acct[BOB]!.jid, lid: acct[BOB]!.lid, phone: BOB, pushName: 'Bob' })
  expect((await api('GET', `/contacts/${enc(acct[BOB]!.jid)}`)).body).toEqual(byLid.body)
})

it('keeps one chat per person: a LID-only chat joins the phone-number chat once the mapping is learned', async () => {
  const DAVE = '15551270004'
  const dave = (await h.control('POST', '/accounts', { phone: DAVE, name: 'Dave' })).body as {
    jid: string
    lid: string
  }
  const chat = async (jid: string) => (await api('GET', `/chats/${enc(jid)}`)).body
  const hello = (await api('POST', '/messages', { to: DAVE, text: 'hello Dave' })).body
  await waitFor('the phone-number chat', async () => (await chat(dave.jid)).jid === dave.jid)
  // Dave's phone now writes from its LID alone: nothing tells us it is the same person yet.
  await h.control('POST', `/accounts/${DAVE}/addressing`, { mode: 'lid', withPn: false })
  const first = (await h.control('POST', `/accounts/${DAVE}/messages`, { to: ME, text: 'from my LID' })).body
  expect(await waitFor('the LID message', () => storedMessage(first.id))).toMatchObject({
    chat_jid: dave.lid,
    sender_jid: null,
    sender_lid: dave.lid,
  })
  expect(await chat(dave.lid)).toMatchObject({ jid: dave.lid, lid: dave.lid, unreadCount: 1 })
  expect(await chat(dave.jid)).toMatchObject({ jid: dave.jid, lid: null, unreadCount: 0 })

  // The mapping is learned (WhatsApp's usync answer): the LID chat joins the phone-number chat.
  expect((await api('POST', '/contacts:check', { phones: [DAVE] })).body.data[0].lid).toBe(dave.lid)
  const joined = await chat(dave.jid)
  expect(joined).toMatchObject({ jid: dave.jid, lid: dave.lid, type: 'dm', unreadCount: 1 })
  expect(await chat(dave.lid)).toEqual(joined)
  const listed = (await api('GET', '/chats?limit=200')).body.data.filter((c: any) => c.lid === dave.lid)
  expect(listed).toEqual([joined])
  const history = (await api('GET', `/chats/${enc(dave.lid)}/messages`)).body.data
  // Both in the joined chat (their order is by send time, which WhatsApp gives in whole seconds).
  expect(history.map((m: any) => [m.id, m.chatJid]).sort()).toEqual(
    [
      [first.id, dave.jid],
      [hello.id, dave.jid],
    ].sort(),
  )
  expect(history.find((m: any) => m.id === first.id)).toMatchObject({ senderJid: dave.jid, senderLid: dave.lid })
  expect(h.eventsOf('chat.deleted').map((e) => e.data.jid)).toEqual([dave.lid])
  expect(
    h
      .eventsOf('chat.updated')
      .filter((e) => e.data.id === joined.id)
      .at(-1)!.data,
  ).toEqual(joined)

  // From now on the LID-addressed messages, both ways, go to the phone-number chat.
  const second = (await h.control('POST', `/accounts/${DAVE}/messages`, { to: ME, text: 'again' })).body
  expect(await waitFor('the second LID message', () => storedMessage(second.id))).toMatchObject({
    chat_jid: dave.jid,
    sender_jid: dave.jid,
    sender_lid: dave.lid,
  })
  const reply = await api('POST', '/messages', { to: dave.lid, text: 'replying to your LID' })
  expect(reply.status).toBe(201)
  expect(reply.body.chatJid).toBe(dave.jid)
  await waitFor('the reply acked', () => (storedMessage(reply.body.id)?.ack_level ?? 0) >= 2)
  expect(await chat(dave.lid)).toMatchObject({ jid: dave.jid, lid: dave.lid, unreadCount: 2 })
  expect(h.db.sqlite.query('SELECT jid FROM chats WHERE jid IN (?, ?)').all(dave.jid, dave.lid)).toEqual([
    { jid: dave.jid },
  ])
})

it('stores a LID-addressed group with members known by LID and phone, and their messages with both ids', async () => {
  const g = (
    await h.control('POST', '/groups', {
      owner: ALICE,
      subject: 'LID group',
      participants: [ME],
      addressingMode: 'lid',
    })
  ).body
  const stored = await waitFor('the group', async () => {
    const r = await api('GET', `/groups/${enc(g.jid)}`)
    return r.status === 200 && r.body.size === 2 ? r.body : null
  })
  expect(stored.participants.map((p: any) => p.phone)).toEqual([ALICE, ME])
  expect(stored.participants[0]).toMatchObject({ lid: acct[ALICE]!.lid, admin: 'superadmin' })
  const posted = (await h.control('POST', `/groups/${g.jid}/messages`, { from: ALICE, text: 'lid hello' })).body
  const row = await waitFor('the member message', () => storedMessage(posted.id))
  expect(row).toMatchObject({ sender_jid: acct[ALICE]!.jid, sender_lid: acct[ALICE]!.lid })
})

it('names who changed the members of a LID-addressed group by phone number, in the event and the system message', async () => {
  const g = await lidGroup('LID admins')
  const promoted = await h.control('POST', `/groups/${g.jid}/participants`, {
    actor: ALICE,
    action: 'promote',
    participants: [BOB],
  })
  expect(promoted.status).toBe(200)
  const event = await waitFor('the promotion', () =>
    h.eventsOf('group.participants').find((e) => e.data.groupJid === g.jid && e.data.action === 'promote'),
  )
  expect(event.data).toEqual({
    groupJid: g.jid,
    action: 'promote',
    participants: [{ jid: acct[BOB]!.lid, lid: acct[BOB]!.lid, phone: BOB, admin: 'admin' }],
    actor: acct[ALICE]!.jid,
  })
  const system = await waitFor('the system message', async () =>
    ((await api('GET', `/chats/${enc(g.jid)}/messages`)).body.data as any[]).find((m) =>
      m.body?.startsWith('GROUP_PARTICIPANT_PROMOTE'),
    ),
  )
  expect(system).toMatchObject({
    type: 'system',
    body: `GROUP_PARTICIPANT_PROMOTE: ${acct[BOB]!.jid}`,
    senderJid: acct[ALICE]!.jid,
  })
})

it('names a member typing in a LID-addressed group, and a contact typing from its LID, by phone number', async () => {
  const g = await lidGroup('LID typing')
  const typing = (chatJid: string) =>
    h
      .eventsOf('presence.updated')
      .filter((e) => e.data.chatJid === chatJid)
      .map((e) => e.data)
  await h.control('POST', `/accounts/${ALICE}/chatstate`, { to: g.jid, state: 'composing' })
  await waitFor('typing in the group', () => typing(g.jid).length === 1)
  // Bob writes from his LID (the mapping is known from his earlier messages) and types to us.
  await h.control('POST', `/accounts/${BOB}/addressing`, { mode: 'lid' })
  await h.control('POST', `/accounts/${BOB}/chatstate`, { to: ME, state: 'recording' })
  await waitFor('typing in the DM', () => h.eventsOf('presence.updated').length >= 2)
  expect(typing(g.jid)).toEqual([{ chatJid: g.jid, jid: acct[ALICE]!.jid, presence: 'composing', lastSeen: null }])
  expect(
    h
      .eventsOf('presence.updated')
      .map((e) => e.data)
      .slice(-1),
  ).toEqual([{ chatJid: acct[BOB]!.jid, jid: acct[BOB]!.jid, presence: 'recording', lastSeen: null }])
})

it('names a contact reacting from its LID alone by phone number once the mapping is known', async () => {
  const EVE = '15551270005'
  const eve = (await h.control('POST', '/accounts', { phone: EVE, name: 'Eve' })).body as { jid: string; lid: string }
  expect((await api('POST', '/contacts:check', { phones: [EVE] })).body.data[0].lid).toBe(eve.lid)
  const sent = (await api('POST', '/messages', { to: EVE, text: 'react to this' })).body
  await waitFor('Eve has it', async () =>
    ((await h.control('GET', `/accounts/${EVE}/messages?data=false`)).body.data as any[]).some((m) => m.id === sent.id),
  )
  await h.control('POST', `/accounts/${EVE}/addressing`, { mode: 'lid', withPn: false })
  await h.control('POST', `/accounts/${EVE}/messages`, { to: ME, reaction: { messageId: sent.id, emoji: '👍' } })
  const reactions = () =>
    h
      .eventsOf('message.reaction')
      .filter((e) => e.data.message.id === sent.id)
      .map((e) => [e.data.reactor, e.data.reaction])
  await waitFor('the reaction', () => reactions().length === 1)
  expect(reactions()).toEqual([[eve.jid, '👍']])
})

it('sends 1,000 queued messages to a group, all acked by WhatsApp, with no group-metadata query after the first', async () => {
  const g = (await h.control('POST', '/groups', { owner: ALICE, subject: 'Busy', participants: [ME, BOB] })).body
  const queries = async () =>
    ((await h.control('GET', `/accounts/${ME}/counters`)).body.groupMetadataQueriesByGroup[g.jid] ?? 0) as number
  const received = async () => ((await h.control('GET', `/groups/${g.jid}/messages`)).body.data as unknown[]).length
  const acked = () =>
    h.db.sqlite
      .query<{ n: number }, [string, string]>(
        'SELECT count(*) AS n FROM messages WHERE session_id = ? AND chat_jid = ? AND from_me = 1 AND ack_level >= 2',
      )
      .get(sid, g.jid)!.n
  const first = await api('POST', '/messages', { to: g.jid, text: 'message 0' })
  expect(first.status).toBe(201)
  await waitFor('the first message acked', () => acked() === 1)
  const afterFirst = await queries()
  expect(afterFirst).toBeLessThanOrEqual(1)
  // All queued at once: the sender drains the queue back to back (pacing off in the harness).
  for (let i = 1; i < 1000; i++) {
    const res = await api('POST', '/messages', { to: g.jid, text: `message ${i}` })
    if (res.status !== 201) throw new Error(`send ${i}: ${res.status} ${JSON.stringify(res.body)}`)
  }
  await waitFor('1,000 messages acked', () => acked() === 1000, 540_000, 250)
  expect(await received()).toBe(1000)
  expect(await queries()).toBe(afterFirst)
  // The burst did not cost the connection (a lost connection loses the acks still unread in it).
  expect(h.eventsOf('session.status').filter((e) => e.data.status === 'reconnecting')).toEqual([])
}, 600_000)
