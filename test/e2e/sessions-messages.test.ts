import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551240001'
const BOB = '15551240002'
let h: Harness
let sid: string
let bob: { jid: string; lid: string }

beforeAll(async () => {
  h = await startHarness()
  bob = (await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })).body
  sid = await h.linkedSession(ME)
})
afterAll(() => h.close())

const messageRow = (waId: string) =>
  h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM messages WHERE session_id = ? AND wa_id = ?')
    .get(sid, waId)

it('stores a contact message with sender PN and LID, direction, type, timestamps, unread and one event', async () => {
  const before = Date.now()
  const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'hello gateway' })).body
  const row = await waitFor('the stored message', () => messageRow(sent.id))
  expect(row).toMatchObject({ chat_jid: bob.jid, from_me: 0, sender_jid: bob.jid, sender_lid: bob.lid, type: 'text' })
  expect(row.body).toBe('hello gateway')
  expect(row.sender_name).toBe('Bob')
  expect(Math.abs(row.timestamp - sent.timestamp)).toBeLessThan(1000)
  expect(row.created_at).toBeGreaterThanOrEqual(before)
  const chat = h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM chats WHERE session_id = ? AND jid = ?')
    .get(sid, bob.jid)!
  expect(chat).toMatchObject({ type: 'dm', unread_count: 1, last_message_at: row.timestamp })
  const received = h.eventsOf('message.received').filter((e) => e.data.id === sent.id)
  expect(received).toHaveLength(1)
  expect(received[0]!.data).toMatchObject({
    direction: 'in',
    fromMe: false,
    senderJid: bob.jid,
    senderLid: bob.lid,
    body: 'hello gateway',
  })
})

it('sends a text that reaches the contact and walks to read', async () => {
  const msg = await h.supervisor.send(sid, { to: BOB, text: 'hi Bob' })
  expect(msg).toMatchObject({ status: 'pending', direction: 'out', fromMe: true, chatJid: bob.jid, body: 'hi Bob' })
  const inbox = await waitFor('Bob receives it', async () => {
    const got = (await h.control('GET', `/accounts/${BOB}/messages`)).body.data as any[]
    return got.find((m) => m.id === msg.id)
  })
  expect(inbox.text).toBe('hi Bob')
  await waitFor('status read', () => messageRow(msg.id)?.status === 'read')
  const statuses = h
    .eventsOf('message.status')
    .filter((e) => e.data.id === msg.id)
    .map((e) => e.data.status)
  expect(statuses.at(-1)).toBe('read')
  expect(h.eventsOf('message.sent').filter((e) => e.data.id === msg.id)).toHaveLength(1)
})

it('sends a reply quoting a stored message', async () => {
  const incoming = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'quote me' })).body
  await waitFor('the stored message', () => messageRow(incoming.id))
  const reply = await h.supervisor.send(sid, { to: BOB, text: 'quoted', quotedMessageId: incoming.id })
  const got = await waitFor('Bob receives the reply', async () =>
    ((await h.control('GET', `/accounts/${BOB}/messages`)).body.data as any[]).find((m) => m.id === reply.id),
  )
  expect(got.quotedId).toBe(incoming.id)
})

it('counts an undecryptable message and raises message.undecryptable', async () => {
  const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, undecryptable: true })).body
  await waitFor('the undecryptable event', () => h.eventsOf('message.undecryptable').find((e) => e.data.id === sent.id))
  expect(h.session(sid).undecryptable_count).toBe(1)
  expect(h.eventsOf('message.received').filter((e) => e.data.id === sent.id)).toHaveLength(0)
})

it('stores a burst of 100 messages exactly once each', async () => {
  const burst = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'burst', count: 100 })).body
    .data as { id: string }[]
  const ids = burst.map((b) => b.id)
  const count = () =>
    h.db.sqlite
      .query<{ n: number }, string[]>(
        `SELECT count(*) AS n FROM messages WHERE wa_id IN (${ids.map(() => '?').join(',')})`,
      )
      .get(...ids)!.n
  await waitFor('100 stored', () => count() === 100, 20_000)
  const events = h.eventsOf('message.received').filter((e) => ids.includes(e.data.id))
  expect(events).toHaveLength(100)
})

it('commits each received message once, with its sender and chat: the events Baileys emits after it add no commit', async () => {
  const CAROL = '15551240003'
  const carol = (await h.control('POST', '/accounts', { phone: CAROL, name: 'Carol' })).body
  const first = (await h.control('POST', `/accounts/${CAROL}/messages`, { to: ME, text: 'first from Carol' })).body
  await waitFor('the first message', () => messageRow(first.id))
  await Bun.sleep(300) // the first message's own echoes (a new contact, a new chat) settle
  const commits: (readonly string[])[] = []
  const stop = h.events.observeTransactions((t) => void commits.push(t.types))
  try {
    const burst = (await h.control('POST', `/accounts/${CAROL}/messages`, { to: ME, text: 'once', count: 20 })).body
      .data as { id: string }[]
    await waitFor('20 stored', () => burst.every((b) => messageRow(b.id)), 20_000)
    await Bun.sleep(300)
  } finally {
    stop()
  }
  // Messages of the burst may share commits (message-turns.ts); an echo would be a commit of its own, with no event.
  expect(commits.flat()).toEqual(Array.from({ length: 20 }, () => 'message.received'))
  expect(commits.filter((types) => types.length === 0)).toEqual([])
  const contact = h.db.sqlite
    .query<Record<string, any>, [string, string]>(
      'SELECT jid, lid, notify FROM contacts WHERE session_id = ? AND jid = ?',
    )
    .get(sid, carol.jid)
  expect(contact).toEqual({ jid: carol.jid, lid: carol.lid, notify: 'Carol' })
  const chat = h.db.sqlite
    .query<{ unread_count: number }, [string, string]>(
      'SELECT unread_count FROM chats WHERE session_id = ? AND jid = ?',
    )
    .get(sid, carol.jid)
  expect(chat).toEqual({ unread_count: 21 })
})

it('refuses to send when the session is not connected', async () => {
  const other = h.createSession()
  await expect(h.supervisor.send(other, { to: BOB, text: 'x' })).rejects.toMatchObject({
    errorCode: 'session_not_connected',
  })
})
