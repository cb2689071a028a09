// Groups end to end: the HTTP API, the supervisor and the real Baileys against the simulator's groups.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551260001'
const ALICE = '15551260002'
const BOB = '15551260003'
const CAROL = '15551260004'
const DAVE = '15551260005'
let h: Harness
let sid: string
let api: GatewayApi
const acct: Record<string, { jid: string; lid: string }> = {}

beforeAll(async () => {
  h = await startHarness()
  for (const [phone, name] of <[string, string][]>[
    [ALICE, 'Alice'],
    [BOB, 'Bob'],
    [CAROL, 'Carol'],
    [DAVE, 'Dave'],
  ])
    acct[phone] = (await h.control('POST', '/accounts', { phone, name })).body
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
})
afterAll(() => h.close())

const enc = encodeURIComponent
const simGroup = async (gid: string) => (await h.control('GET', `/groups/${gid}`)).body
const phones = (g: { participants: { phone: string | null }[] }) => g.participants.map((p) => p.phone)
const storedMessage = (waId: string) =>
  h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM messages WHERE session_id = ? AND wa_id = ?')
    .get(sid, waId)

async function createGroup(subject: string, members: string[]) {
  const res = await api('POST', '/groups', { subject, participants: members })
  expect(res.status).toBe(201)
  return res.body
}

it('creates a group with two simulated members, stored with its members and their admin roles', async () => {
  const g = await createGroup('Team', [ALICE, BOB])
  expect(g).toMatchObject({ subject: 'Team', size: 3, announce: false, locked: false, ephemeralSeconds: 0 })
  expect(g.participants.map((p: any) => [p.phone, p.admin])).toEqual([
    [ME, 'superadmin'],
    [ALICE, null],
    [BOB, null],
  ])
  expect(phones(await simGroup(g.jid))).toEqual([ME, ALICE, BOB])
  expect((await api('GET', `/groups/${enc(g.jid)}`)).body).toEqual(g)
  expect(h.eventsOf('group.updated').some((e) => e.data.jid === g.jid)).toBe(true)
})

it('sends a group message both members decrypt, and stores a member message with its sender PN and LID', async () => {
  const g = await createGroup('Chat', [ALICE, BOB])
  const sent = await api('POST', '/messages', { to: g.jid, text: 'hello team' })
  expect(sent.status).toBe(201)
  await waitFor('both members decrypt it', async () => {
    const msgs = (await h.control('GET', `/groups/${g.jid}/messages`)).body.data as any[]
    return msgs.find((m) => m.id === sent.body.id && m.decryptedBy.length === 2)
  })
  const posted = (await h.control('POST', `/groups/${g.jid}/messages`, { from: ALICE, text: 'hi from Alice' })).body
  const row = await waitFor('the member message', () => storedMessage(posted.id))
  expect(row).toMatchObject({
    chat_jid: g.jid,
    from_me: 0,
    body: 'hi from Alice',
    sender_jid: acct[ALICE]!.jid,
    sender_lid: acct[ALICE]!.lid,
  })
})

it("moves a group message to delivered and read at the first member's receipt of each kind", async () => {
  const [SILENT, READER] = ['15551260006', '15551260007']
  await h.control('POST', '/accounts', { phone: SILENT, name: 'Silent', receipts: 'none' })
  await h.control('POST', '/accounts', { phone: READER, name: 'Reader', receipts: 'read' })
  const g = await createGroup('Receipts', [SILENT, READER])
  const sent = await api('POST', '/messages', { to: g.jid, text: 'who read this?' })
  expect(sent.status).toBe(201)
  const statuses = () =>
    h
      .eventsOf('message.status')
      .filter((e) => e.data.id === sent.body.id)
      .map((e) => e.data.status)
  // The silent member never receipts: the status still walks on with the reader's receipts.
  await waitFor('read', () => statuses().includes('read'))
  expect(statuses()).toEqual(['sent', 'delivered', 'read'])
  expect((await api('GET', `/chats/${enc(g.jid)}/messages/${sent.body.id}`)).body).toMatchObject({
    status: 'read',
    ackLevel: 4,
  })
})

it('adds, promotes, demotes and removes members, reporting a privacy refusal per participant', async () => {
  const g = await createGroup('Members', [ALICE])
  expect((await h.control('POST', `/accounts/${CAROL}/privacy`, { groupAdd: 'none' })).status).toBe(200)
  const add = await api('POST', `/groups/${enc(g.jid)}/participants:add`, { participants: [CAROL, DAVE] })
  expect(add.status).toBe(200)
  expect(add.body.data).toEqual([
    { jid: acct[CAROL]!.jid, status: 403, error: 'privacy_refused' },
    { jid: acct[DAVE]!.jid, status: 200 },
  ])
  const admin = async () =>
    (await api('GET', `/groups/${enc(g.jid)}`)).body.participants.find((p: any) => p.phone === DAVE)
  expect(await admin()).toMatchObject({ phone: DAVE, admin: null })
  expect(phones(await simGroup(g.jid))).toEqual([ME, ALICE, DAVE])

  const promote = await api('POST', `/groups/${enc(g.jid)}/participants:promote`, { participants: [DAVE] })
  expect(promote.body.data).toEqual([{ jid: acct[DAVE]!.jid, status: 200 }])
  expect((await admin()).admin).toBe('admin')
  await api('POST', `/groups/${enc(g.jid)}/participants:demote`, { participants: [DAVE] })
  expect((await admin()).admin).toBeNull()
  const remove = await api('POST', `/groups/${enc(g.jid)}/participants:remove`, { participants: [DAVE] })
  expect(remove.body.data).toEqual([{ jid: acct[DAVE]!.jid, status: 200 }])
  expect(await admin()).toBeUndefined()
  expect(phones(await simGroup(g.jid))).toEqual([ME, ALICE])
  const actions = h
    .eventsOf('group.participants')
    .filter((e) => e.data.groupJid === g.jid)
    .map((e) => [e.data.action, e.data.participants.map((p: any) => p.phone)])
  expect(actions).toEqual([
    ['add', [DAVE]],
    ['promote', [DAVE]],
    ['demote', [DAVE]],
    ['remove', [DAVE]],
  ])
})

it('changes subject, description and settings, as WhatsApp then shows them', async () => {
  const g = await createGroup('Settings', [ALICE])
  const res = await api('PATCH', `/groups/${enc(g.jid)}`, {
    subject: 'Renamed',
    description: 'About us',
    announce: true,
    locked: true,
  })
  expect(res.status).toBe(200)
  expect(res.body).toMatchObject({ subject: 'Renamed', description: 'About us', announce: true, locked: true })
  expect(await simGroup(g.jid)).toMatchObject({
    subject: 'Renamed',
    description: 'About us',
    announce: true,
    locked: true,
  })
  expect((await api('GET', `/chats/${enc(g.jid)}`)).body.name).toBe('Renamed')
})

it("stores another admin's change and raises group.updated and group.participants", async () => {
  const g = await createGroup('Others', [ALICE, BOB])
  await api('POST', `/groups/${enc(g.jid)}/participants:promote`, { participants: [ALICE] })
  expect((await h.control('PATCH', `/groups/${g.jid}`, { actor: ALICE, subject: 'By Alice' })).status).toBe(200)
  await waitFor('the new subject', async () => (await api('GET', `/groups/${enc(g.jid)}`)).body.subject === 'By Alice')
  expect(h.eventsOf('group.updated').some((e) => e.data.jid === g.jid && e.data.subject === 'By Alice')).toBe(true)
  const kicked = await h.control('POST', `/groups/${g.jid}/participants`, {
    actor: ALICE,
    action: 'remove',
    participants: [BOB],
  })
  expect(kicked.status).toBe(200)
  const e = await waitFor('the removal event', () =>
    h.eventsOf('group.participants').find((x) => x.data.groupJid === g.jid && x.data.action === 'remove'),
  )
  expect(e.data.participants.map((p: any) => p.phone)).toEqual([BOB])
  expect(e.data.actor).toBe(acct[ALICE]!.jid)
  expect(phones((await api('GET', `/groups/${enc(g.jid)}`)).body)).toEqual([ME, ALICE])
})

it('gives the invite link, revokes it, and joins a group by invite code', async () => {
  const g = await createGroup('Invites', [ALICE])
  const invite = await api('GET', `/groups/${enc(g.jid)}/invite`)
  expect(invite.body).toEqual({
    code: (await simGroup(g.jid)).inviteCode,
    url: `https://chat.whatsapp.com/${invite.body.code}`,
  })
  const revoked = await api('POST', `/groups/${enc(g.jid)}:revokeInvite`)
  expect(revoked.body.code).not.toBe(invite.body.code)
  expect((await simGroup(g.jid)).inviteCode).toBe(revoked.body.code)

  const other = (await h.control('POST', '/groups', { owner: ALICE, subject: 'Open', participants: [BOB] })).body
  const joined = await api('POST', '/groups:join', { code: other.inviteCode })
  expect(joined.status).toBe(200)
  expect(joined.body).toMatchObject({ jid: other.jid, subject: 'Open' })
  expect(phones(joined.body).sort()).toEqual([ME, ALICE, BOB])
  expect(phones(await simGroup(other.jid))).toEqual([ALICE, BOB, ME])
})

it('leaves a group', async () => {
  const g = await createGroup('Leaving', [ALICE])
  expect((await api('POST', `/groups/${enc(g.jid)}:leave`)).status).toBe(204)
  expect(phones(await simGroup(g.jid))).toEqual([ALICE])
  expect(phones((await api('GET', `/groups/${enc(g.jid)}`)).body)).toEqual([ALICE])
})

it('refreshes a group from WhatsApp on ?refresh=true', async () => {
  const other = (await h.control('POST', '/groups', { owner: ALICE, subject: 'Fetched', participants: [ME] })).body
  const g = await api('GET', `/groups/${enc(other.jid)}?refresh=true`)
  expect(g.status).toBe(200)
  expect(phones(g.body)).toEqual([ALICE, ME])
})
