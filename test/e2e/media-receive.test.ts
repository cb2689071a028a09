// Receiving every rich kind through the simulator and the real Baileys: media downloaded after the message was
// committed into the content-addressed store (bytes compared by SHA-256), an expired URL answered by the phone's
// re-upload, location, contacts, and a poll tallied from two phones' encrypted votes. One gateway, one file.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15557100001'
const BOB = '15557100002'
const CAROL = '15557100003'
const BOB_JID = `${BOB}@s.whatsapp.net`
let h: Harness
let sid: string

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

beforeAll(async () => {
  h = await startHarness({ downloads: true })
  sid = await h.linkedSession(ME)
  for (const phone of [BOB, CAROL])
    await h.control('POST', '/accounts', { phone, name: phone === BOB ? 'Bob' : 'Carol' })
}, 60_000)
afterAll(() => h.close())

type Row = {
  pk: number
  type: string
  body: string | null
  media: string | null
  location: string | null
  contacts: string | null
  poll: string | null
}

const row = (waId: string) =>
  h.db.sqlite
    .query<Row, [string, string]>(
      'SELECT pk, type, body, media, location, contacts, poll FROM messages WHERE session_id = ? AND wa_id = ?',
    )
    .get(sid, waId)

/** The phone sends; resolves with the message id once the gateway stored the message. */
async function send(from: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.control('POST', `/accounts/${from}/messages`, { to: ME, ...body })
  if (res.status !== 201) throw new Error(`send failed: ${JSON.stringify(res.body)}`)
  const id = res.body.id as string
  await waitFor(`message ${id} stored`, () => row(id))
  return id
}

/** The `message.media` event of a message, once it fired. */
const mediaEvent = (id: string) =>
  waitFor(`message.media for ${id}`, () => h.eventsOf('message.media').find((e) => e.data.id === id)?.data, 20_000)

describe('media', () => {
  const kinds = [
    { kind: 'image', input: { mimetype: 'image/jpeg', caption: 'a photo', width: 640, height: 480 } },
    { kind: 'video', input: { mimetype: 'video/mp4', caption: 'a clip', seconds: 7 } },
    { kind: 'audio', input: { mimetype: 'audio/mp4', seconds: 3 } },
    { kind: 'audio', input: { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 2 }, label: 'voice note' },
    { kind: 'document', input: { mimetype: 'application/pdf', filename: 'Invoice 42.pdf', caption: 'the invoice' } },
    { kind: 'sticker', input: { mimetype: 'image/webp' } },
  ] as const

  for (const { kind, input, ...rest } of kinds) {
    const label = 'label' in rest ? rest.label : kind
    it(`downloads a received ${label} into the store, byte for byte`, async () => {
      const bytes = randomBytes(48_000 + Math.floor(Math.random() * 1000))
      const id = await send(BOB, { [kind]: { ...input, data: bytes.toString('base64') } })
      const message = await mediaEvent(id)
      expect(message.type).toBe(kind)
      expect(message.media).toMatchObject({
        mimetype: input.mimetype,
        size: bytes.length,
        sha256: sha(bytes),
        status: 'stored',
        url: `/api/v1/sessions/${sid}/chats/${encodeURIComponent(BOB_JID)}/messages/${id}/media`,
      })
      const file = (await h.media.open(sha(bytes)))!
      expect(sha(new Uint8Array(await file.file.arrayBuffer()))).toBe(sha(bytes))
      if ('filename' in input) expect(message.media.filename).toBe(input.filename)
      if ('seconds' in input) expect(message.media.durationSeconds).toBe(input.seconds)
      if ('width' in input) expect([message.media.width, message.media.height]).toEqual([input.width, input.height])
      // The caption, or no body at all: a voice note, a sticker or a captionless file has no text.
      expect(message.body).toBe('caption' in input ? input.caption : null)
    })
  }

  it('stores the message before its media: received as pending, then stored', async () => {
    const bytes = randomBytes(30_000)
    const id = await send(BOB, { image: { mimetype: 'image/png', data: bytes.toString('base64') } })
    const received = h.eventsOf('message.received').find((e) => e.data.id === id)!.data
    expect(received.media.status).toBe('pending')
    expect((await mediaEvent(id)).media.status).toBe('stored')
  })

  it('asks the phone to re-upload when the URL expired, then downloads the new path', async () => {
    const bytes = randomBytes(20_000)
    const id = await send(BOB, {
      document: { mimetype: 'application/pdf', filename: 'old.pdf', expired: true, data: bytes.toString('base64') },
    })
    const message = await mediaEvent(id)
    expect(message.media).toMatchObject({ status: 'stored', sha256: sha(bytes) })
    const sent = await h.control('GET', `/accounts/${BOB}/sent`)
    expect(sent.body.data.find((s: { id: string }) => s.id === id).mediaRetries).toBe(1)
  })

  it('records a failed download when the phone cannot re-upload', async () => {
    const bytes = randomBytes(10_000)
    const id = await send(BOB, {
      image: { mimetype: 'image/jpeg', expired: true, retry: 'not_found', data: bytes.toString('base64') },
    })
    const message = await mediaEvent(id)
    expect(message.media.status).toBe('failed')
    expect(await h.media.has(sha(bytes))).toBe(false)
  })
})

describe('location, contacts and polls', () => {
  it('stores a location with its name and address', async () => {
    const id = await send(BOB, { location: { latitude: 52.52, longitude: 13.405, name: 'Mitte', address: 'Berlin' } })
    expect(row(id)!.type).toBe('location')
    expect(JSON.parse(row(id)!.location!)).toEqual({
      latitude: 52.52,
      longitude: 13.405,
      name: 'Mitte',
      address: 'Berlin',
      url: null,
    })
  })

  it('stores contact cards with their names, phones and organisation', async () => {
    const id = await send(BOB, {
      contacts: [
        { name: 'Dana Diaz', phones: ['+15557100009'], org: 'Acme' },
        { name: 'Eve', phones: ['+15557100010', '+15557100011'] },
      ],
    })
    expect(row(id)!.type).toBe('contact')
    const cards = JSON.parse(row(id)!.contacts!) as { name: string; phones: string[]; org: string | null }[]
    expect(cards.map(({ name, phones, org }) => ({ name, phones, org }))).toEqual([
      { name: 'Dana Diaz', phones: ['+15557100009'], org: 'Acme' },
      { name: 'Eve', phones: ['+15557100010', '+15557100011'], org: null },
    ])
  })

  it("tallies a contact's poll from its creator's decrypted votes, a changed vote replacing the first", async () => {
    const id = await send(BOB, { poll: { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], selectableCount: 1 } })
    expect(JSON.parse(row(id)!.poll!)).toEqual({
      name: 'Lunch?',
      selectableCount: 1,
      options: [
        { name: 'Pizza', votes: 0, voters: [] },
        { name: 'Sushi', votes: 0, voters: [] },
        { name: 'Salad', votes: 0, voters: [] },
      ],
    })
    const votes = () => h.eventsOf('poll.vote').filter((e) => e.data.message.id === id)
    await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, pollVote: { messageId: id, options: ['Pizza'] } })
    await waitFor('first vote', () => votes().length === 1)
    await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, pollVote: { messageId: id, options: ['Sushi'] } })
    await waitFor('changed vote', () => votes().length === 2)
    const last = votes()[1]!.data
    expect(last.voter).toBe(BOB_JID)
    expect(last.options).toEqual(['Sushi'])
    expect(last.message.poll.options).toEqual([
      { name: 'Pizza', votes: 0, voters: [] },
      { name: 'Sushi', votes: 1, voters: [BOB_JID] },
      { name: 'Salad', votes: 0, voters: [] },
    ])
  })

  it("tallies our own poll from a second phone's vote, with the secret chosen when the send was accepted", async () => {
    const CAROL_JID = `${CAROL}@s.whatsapp.net`
    const sent = await h.supervisor.send(sid, { to: CAROL_JID, poll: { name: 'When?', options: ['Mon', 'Tue'] } })
    await waitFor('poll reached Carol', async () => {
      const inbox = await h.control('GET', `/accounts/${CAROL}/messages?data=false`)
      return inbox.body.data.some((m: { id: string }) => m.id === sent.id)
    })
    await h.control('POST', `/accounts/${CAROL}/messages`, {
      to: ME,
      pollVote: { messageId: sent.id, options: ['Mon', 'Tue'] },
    })
    const vote = await waitFor('Carol voted', () => h.eventsOf('poll.vote').find((e) => e.data.message.id === sent.id))
    expect(vote.data.voter).toBe(CAROL_JID)
    expect(vote.data.message.poll).toEqual({
      name: 'When?',
      selectableCount: 0,
      options: [
        { name: 'Mon', votes: 1, voters: [CAROL_JID] },
        { name: 'Tue', votes: 1, voters: [CAROL_JID] },
      ],
    })
  })
})
