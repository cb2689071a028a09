// Every outbound kind through the send queue, the real Baileys and the simulator: what the contact's phone received
// and decrypted (GET /accounts/{phone}/messages), media compared by SHA-256; then reply, react set and removed,
// edit, revoke and forward of stored messages.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createHash } from 'node:crypto'
import type { Message } from '../../src/domain/message.ts'
import type { SendInput } from '../../src/domain/outbound.ts'
import { quietLibsignal } from '../simulator/harness.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551250001'
const BOB = '15551250002'
const CAROL = '15551250003'
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n')
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff))
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

let h: Harness
let sid: string
type Received = { id: string; kind: string; text: string | null; quotedId: string | null; forwarded: boolean } & Record<
  string,
  any
>

afterAll(quietLibsignal())
beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  await h.control('POST', '/accounts', { phone: CAROL, name: 'Carol' })
  sid = await h.linkedSession(ME)
})
afterAll(() => h.close())

/** What `phone` received, once an entry `pick` accepts is there. */
const received = (phone: string, pick: (m: Received) => boolean) =>
  waitFor(
    `${phone} receives it`,
    async () => ((await h.control('GET', `/accounts/${phone}/messages`)).body.data as Received[]).find(pick),
    15_000,
  )
const byId = (phone: string, id: string) => received(phone, (m) => m.id === id)
const send = (input: Omit<SendInput, 'to'>, to = BOB): Promise<Message> => h.supervisor.send(sid, { to, ...input })
const status = (id: string) =>
  h.db.sqlite.query<{ status: string }, [string]>('SELECT status FROM messages WHERE wa_id = ?').get(id)?.status

describe('each kind reaches the phone', () => {
  it('an image with its caption, bytes equal by SHA-256', async () => {
    const m = await send({ image: { data: PNG.toString('base64'), caption: 'a pixel' } })
    const got = await byId(BOB, m.id)
    expect(got.kind).toBe('image')
    expect(got.media).toMatchObject({ mimetype: 'image/png', caption: 'a pixel', size: PNG.length, sha256: sha(PNG) })
    await waitFor('sent', () => status(m.id) !== 'pending')
  })

  it('a video', async () => {
    const video = bytes(3000, 1)
    const m = await send({ video: { data: video.toString('base64'), mimetype: 'video/mp4', caption: 'clip' } })
    const got = await byId(BOB, m.id)
    expect({ kind: got.kind, mimetype: got.media.mimetype, sha256: got.media.sha256 }).toEqual({
      kind: 'video',
      mimetype: 'video/mp4',
      sha256: sha(video),
    })
  })

  it('an audio file', async () => {
    const audio = bytes(2000, 2)
    const m = await send({ audio: { data: audio.toString('base64'), mimetype: 'audio/mpeg' } })
    const got = await byId(BOB, m.id)
    expect({ kind: got.kind, ptt: got.media.ptt, sha256: got.media.sha256 }).toEqual({
      kind: 'audio',
      ptt: false,
      sha256: sha(audio),
    })
  })

  it('a voice note (ptt), as Opus in OGG', async () => {
    const voice = bytes(1500, 3)
    const m = await send({ audio: { data: voice.toString('base64'), mimetype: 'audio/ogg', ptt: true } })
    const got = await byId(BOB, m.id)
    expect(got.media).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus', sha256: sha(voice) })
  })

  it('a document with its filename', async () => {
    const m = await send({ document: { data: PDF.toString('base64'), filename: 'invoice.pdf', caption: 'yours' } })
    const got = await byId(BOB, m.id)
    expect(got.kind).toBe('document')
    expect(got.media).toMatchObject({ mimetype: 'application/pdf', filename: 'invoice.pdf', sha256: sha(PDF) })
  })

  it('a sticker', async () => {
    const webp = bytes(800, 4)
    const m = await send({ sticker: { data: webp.toString('base64'), mimetype: 'image/webp' } })
    const got = await byId(BOB, m.id)
    expect({ kind: got.kind, sha256: got.media.sha256 }).toEqual({ kind: 'sticker', sha256: sha(webp) })
  })

  it('a location', async () => {
    const m = await send({ location: { latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Jakarta' } })
    expect(m.location).toMatchObject({ latitude: -6.1754, longitude: 106.8272, name: 'Monas' })
    const got = await byId(BOB, m.id)
    expect(got.location).toEqual({ latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Jakarta' })
  })

  it('contacts, as vCards the phone reads back', async () => {
    const m = await send({
      contacts: [
        { name: 'Ann Lee', phones: ['+6281100001'], org: 'ACME' },
        { name: 'Ben', phones: ['6281100002', '6281100003'] },
      ],
    })
    const got = await byId(BOB, m.id)
    expect(got.kind).toBe('contacts')
    expect(got.contacts.map((c: any) => ({ name: c.name, phones: c.phones }))).toEqual([
      { name: 'Ann Lee', phones: ['6281100001'] },
      { name: 'Ben', phones: ['6281100002', '6281100003'] },
    ])
  })

  it('a poll', async () => {
    const m = await send({ poll: { name: 'Lunch?', options: ['rice', 'noodles', 'soup'], selectableCount: 1 } })
    const got = await byId(BOB, m.id)
    expect(got.poll).toEqual({ name: 'Lunch?', options: ['rice', 'noodles', 'soup'], selectableCount: 1 })
  })

  it("a poll's votes from the phone are counted on the stored copy", async () => {
    const m = await send({ poll: { name: 'Colour?', options: ['red', 'blue'] } })
    await byId(BOB, m.id)
    const vote = await h.control('POST', `/accounts/${BOB}/messages`, {
      to: ME,
      pollVote: { messageId: m.id, options: ['blue'] },
    })
    expect(vote.status).toBe(201)
    const poll = await waitFor('the vote counted', () => {
      const row = h.db.sqlite
        .query<{ poll: string | null }, [string]>('SELECT poll FROM messages WHERE wa_id = ?')
        .get(m.id)
      const p = row?.poll ? JSON.parse(row.poll) : null
      return p?.options?.[1]?.votes === 1 ? p : null
    })
    expect(poll.options.map((o: any) => [o.name, o.votes])).toEqual([
      ['red', 0],
      ['blue', 1],
    ])
  })

  it('a reply quoting a stored message', async () => {
    const incoming = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'quote me' })).body
    await waitFor('stored', () => status(incoming.id))
    const m = await send({ text: 'quoted you', quotedMessageId: incoming.id })
    expect((await byId(BOB, m.id)).quotedId).toBe(incoming.id)
  })
})

describe('operations on stored messages', () => {
  let own: Message
  let theirs: string
  const bobChat = `${BOB}@s.whatsapp.net`

  beforeAll(async () => {
    own = await send({ text: 'to be edited' })
    await byId(BOB, own.id)
    theirs = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'react to me' })).body.id
    await waitFor('stored', () => status(theirs))
  })

  it('sets a reaction, then removes it', async () => {
    await h.supervisor.react(sid, bobChat, theirs, '👍')
    await received(BOB, (m) => m.kind === 'reaction' && m.reaction.messageId === theirs && m.reaction.emoji === '👍')
    await h.supervisor.react(sid, bobChat, theirs, '')
    await received(BOB, (m) => m.kind === 'reaction' && m.reaction.messageId === theirs && m.reaction.emoji === '')
  })

  it('stores and announces our own reaction once, under our JID, and its removal', async () => {
    const me = h.session(sid).jid as string
    expect(me).toBe(`${ME}@s.whatsapp.net`)
    const before = h.eventsOf('message.reaction').length
    const ours = () =>
      h
        .eventsOf('message.reaction')
        .slice(before)
        .map((e) => [e.data.message.id, e.data.reactor, e.data.reaction])
    const reactions = () =>
      JSON.parse(
        h.db.sqlite
          .query<{ reactions: string }, [string]>('SELECT reactions FROM messages WHERE wa_id = ?')
          .get(theirs)!.reactions,
      )
    await h.supervisor.react(sid, bobChat, theirs, '❤️')
    await waitFor('our reaction', () => ours().length > 0)
    await h.supervisor.react(sid, bobChat, theirs, '')
    await waitFor('our reaction removed', () => ours().some(([, , reaction]) => reaction === null))
    expect(ours()).toEqual([
      [theirs, me, '❤️'],
      [theirs, me, null],
    ])
    expect(reactions()).toEqual({})
  })

  it("announces a contact's reaction under the contact's JID, and its removal", async () => {
    const before = h.eventsOf('message.reaction').length
    const theirs = () =>
      h
        .eventsOf('message.reaction')
        .slice(before)
        .map((e) => [e.data.message.id, e.data.reactor, e.data.reaction])
    const react = (emoji: string) =>
      h.control('POST', `/accounts/${BOB}/messages`, { to: ME, reaction: { messageId: own.id, emoji } })
    expect((await react('😂')).status).toBe(201)
    await waitFor("Bob's reaction", () => theirs().length > 0)
    expect((await react('')).status).toBe(201)
    await waitFor("Bob's reaction removed", () => theirs().length > 1)
    expect(theirs()).toEqual([
      [own.id, bobChat, '😂'],
      [own.id, bobChat, null],
    ])
  })

  it('edits an own message, and the stored copy says edited', async () => {
    await h.supervisor.edit(sid, bobChat, own.id, 'edited text')
    const got = await received(BOB, (m) => m.kind === 'edit' && m.edit.messageId === own.id)
    expect(got.edit.text).toBe('edited text')
    const row = () =>
      h.db.sqlite
        .query<{ edited: number; body: string }, [string]>('SELECT edited, body FROM messages WHERE wa_id = ?')
        .get(own.id)!
    await waitFor('the edit stored', () => row().edited === 1)
    expect(row()).toEqual({ edited: 1, body: 'edited text' })
  })

  it('forwards a stored message to another chat, marked forwarded', async () => {
    const fwd = await h.supervisor.forward(sid, bobChat, theirs, CAROL)
    expect(fwd).toMatchObject({ status: 'pending', chatJid: `${CAROL}@s.whatsapp.net`, body: 'react to me' })
    const got = await byId(CAROL, fwd.id)
    expect({ text: got.text, forwarded: got.forwarded }).toEqual({ text: 'react to me', forwarded: true })
  })

  it('revokes an own message; the stored row stays with deleted', async () => {
    await h.supervisor.revoke(sid, bobChat, own.id)
    await received(BOB, (m) => m.kind === 'revoke' && m.revoke.messageId === own.id)
    const deleted = () =>
      h.db.sqlite.query<{ deleted: number }, [string]>('SELECT deleted FROM messages WHERE wa_id = ?').get(own.id)!
    await waitFor('the revoke stored', () => deleted().deleted === 1)
  })
})
