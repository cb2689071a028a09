// Polls voted from two phones, end to end: the gateway sends a poll (to a group, to a contact) or receives one a
// phone posts; simulated phones vote with WhatsApp's encrypted pollUpdateMessage (one changes its vote), the real
// Baileys delivers each vote, and the stored copy (GET …/messages/{mid}) shows the tally, one poll.vote per vote.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { quietLibsignal } from '../simulator/harness.ts'
import { gatewayApi, type GatewayApi } from './gateway-api.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15557300001'
const BOB = '15557300002'
const CAROL = '15557300003'
const BOB_JID = `${BOB}@s.whatsapp.net`
const CAROL_JID = `${CAROL}@s.whatsapp.net`
let h: Harness
let sid: string
let api: GatewayApi

afterAll(quietLibsignal())
beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  await h.control('POST', '/accounts', { phone: CAROL, name: 'Carol' })
  sid = await h.linkedSession(ME)
  api = gatewayApi(h, sid)
}, 60_000)
afterAll(() => h.close())

const enc = encodeURIComponent
/** The `poll.vote` events of one poll, as [voter, options]. */
const votesOf = (id: string) =>
  h
    .eventsOf('poll.vote')
    .filter((e) => e.data.message.id === id)
    .map((e) => [e.data.voter, e.data.options])
const stored = (chat: string, id: string) => api('GET', `/chats/${enc(chat)}/messages/${id}`)

async function group(subject: string): Promise<string> {
  const res = await api('POST', '/groups', { subject, participants: [BOB, CAROL] })
  expect(res.status).toBe(201)
  return res.body.jid
}

/** `from` posts to group `gid` through the simulator; the post's id. */
async function post(gid: string, from: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.control('POST', `/groups/${gid}/messages`, { from, ...body })
  if (res.status !== 201) throw new Error(`post failed: ${JSON.stringify(res.body)}`)
  return res.body.id
}

/** Posts a vote and waits for the gateway's poll.vote event for it (the n-th of that poll). */
async function vote(id: string, n: number, cast: () => Promise<unknown>): Promise<void> {
  await cast()
  await waitFor(`vote ${n} on ${id}`, () => votesOf(id).length === n, 15_000)
}

it('a group poll the gateway sends, voted from two phones, one changing its vote', async () => {
  const gid = await group('Lunch')
  const sent = await api('POST', '/messages', {
    to: gid,
    poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectableCount: 1 },
  })
  expect(sent.status).toBe(201)
  const id = sent.body.id as string
  await waitFor('both phones read the poll', async () => {
    const msgs = (await h.control('GET', `/groups/${gid}/messages`)).body.data as any[]
    return msgs.find((m) => m.id === id && m.kind === 'poll' && m.decryptedBy.length === 2)
  })
  await vote(id, 1, () => post(gid, BOB, { pollVote: { messageId: id, options: ['Pizza'] } }))
  await vote(id, 2, () => post(gid, CAROL, { pollVote: { messageId: id, options: ['Pizza'] } }))
  await vote(id, 3, () => post(gid, CAROL, { pollVote: { messageId: id, options: ['Sushi'] } }))
  const got = await stored(gid, id)
  expect(got.status).toBe(200)
  expect(got.body.poll).toEqual({
    name: 'Lunch?',
    selectableCount: 1,
    options: [
      { name: 'Pizza', votes: 1, voters: [BOB_JID] },
      { name: 'Sushi', votes: 1, voters: [CAROL_JID] },
      { name: 'Salad', votes: 0, voters: [] },
    ],
  })
  expect(votesOf(id)).toEqual([
    [BOB_JID, ['Pizza']],
    [CAROL_JID, ['Pizza']],
    [CAROL_JID, ['Sushi']],
  ])
})

it('a group poll a phone posts, voted by its creator and another member, one changing its vote', async () => {
  const gid = await group('Meeting')
  const id = await post(gid, BOB, { poll: { name: 'When?', options: ['Mon', 'Tue', 'Wed'], selectableCount: 2 } })
  await waitFor('the gateway stored the poll', async () => (await stored(gid, id)).status === 200)
  expect((await stored(gid, id)).body.poll).toEqual({
    name: 'When?',
    selectableCount: 2,
    options: [
      { name: 'Mon', votes: 0, voters: [] },
      { name: 'Tue', votes: 0, voters: [] },
      { name: 'Wed', votes: 0, voters: [] },
    ],
  })
  await vote(id, 1, () => post(gid, BOB, { pollVote: { messageId: id, options: ['Mon', 'Tue'] } }))
  await vote(id, 2, () => post(gid, CAROL, { pollVote: { messageId: id, options: ['Tue'] } }))
  await vote(id, 3, () => post(gid, BOB, { pollVote: { messageId: id, options: ['Wed'] } }))
  expect((await stored(gid, id)).body.poll).toEqual({
    name: 'When?',
    selectableCount: 2,
    options: [
      { name: 'Mon', votes: 0, voters: [] },
      { name: 'Tue', votes: 1, voters: [CAROL_JID] },
      { name: 'Wed', votes: 1, voters: [BOB_JID] },
    ],
  })
  expect(votesOf(id)).toEqual([
    [BOB_JID, ['Mon', 'Tue']],
    [CAROL_JID, ['Tue']],
    [BOB_JID, ['Wed']],
  ])
})

it('a one-to-one poll the gateway sends, the contact changing its vote', async () => {
  const sent = await api('POST', '/messages', { to: BOB, poll: { name: 'Tea?', options: ['Green', 'Black'] } })
  expect(sent.status).toBe(201)
  const id = sent.body.id as string
  await waitFor('Bob has the poll', async () =>
    ((await h.control('GET', `/accounts/${BOB}/messages?data=false`)).body.data as any[]).some((m) => m.id === id),
  )
  const voteAs = (options: string[]) => () =>
    h.control('POST', `/accounts/${BOB}/messages`, { to: ME, pollVote: { messageId: id, options } })
  await vote(id, 1, voteAs(['Green', 'Black']))
  await vote(id, 2, voteAs(['Black']))
  expect((await stored(BOB_JID, id)).body.poll).toEqual({
    name: 'Tea?',
    selectableCount: 0,
    options: [
      { name: 'Green', votes: 0, voters: [] },
      { name: 'Black', votes: 1, voters: [BOB_JID] },
    ],
  })
  expect(votesOf(id)).toEqual([
    [BOB_JID, ['Green', 'Black']],
    [BOB_JID, ['Black']],
  ])
})
