// POST …/messages and the message operations, through the real app and supervisor with no WhatsApp connection:
// what is accepted lands in the send queue (nothing drains it here), what is not answers the envelope.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { createEgress } from '../../src/media/egress.ts'
import { mediaFilesOf } from '../../src/media/files.ts'
import { createFetchMedia } from '../../src/sessions/fetch-media.ts'
import { sqliteEngineStore } from '../../src/sessions/engine-store.ts'
import { createSupervisor } from '../../src/sessions/supervisor.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { lazyMultipart } from '../helpers/lazy-body.ts'

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n')
const ME = '15550001000@s.whatsapp.net'
const BOB = '15550001001'
const BOB_JID = `${BOB}@s.whatsapp.net`

let app: TestApp
let now = 1_800_000_000_000

beforeAll(async () => {
  app = await testApp({
    mediaMaxBytes: 1024 * 1024,
    engine: ({ db, stores, logger, media }) =>
      createSupervisor({
        store: sqliteEngineStore(db, stores.events),
        logger,
        secretKey: randomBytes(32),
        clock: () => now,
        sending: {
          pacing: { minGapMs: 2000, jitterMs: 3000, typing: true },
          queueMax: 6,
          mediaMaxBytes: 1024 * 1024,
          media: mediaFilesOf(media),
          fetchMedia: createFetchMedia(createEgress()),
        },
      }),
  })
})
afterAll(() => app.close())

/** A session that looks linked and connected (no socket: what is queued stays queued). */
function linkedSession(): string {
  const s = app.stores.sessions.create({ orgId: 'acme', name: 'send' })
  app.stores.sessions.setLive(s.id, { status: 'connected', desiredState: 'running', jid: ME })
  return s.id
}

const queued = (sid: string) =>
  app.db.sqlite
    .query<{ wa_id: string; chat_jid: string; content: string }, [string]>(
      'SELECT wa_id, chat_jid, content FROM outbound_queue WHERE session_id = ? ORDER BY pk',
    )
    .all(sid)
    .map((r) => ({ ...r, content: JSON.parse(r.content) }))

const send = (sid: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(`/api/v1/sessions/${sid}/messages`, { method: 'POST', json: body, headers })

describe('POST /sessions/{sid}/messages', () => {
  it('answers 201 with the pending message and queues it under the same id', async () => {
    const sid = linkedSession()
    const res = await send(sid, { to: BOB, text: 'hello' })
    expect(res.status).toBe(201)
    const m = await json(res)
    expect(m).toMatchObject({
      status: 'pending',
      ackLevel: 1,
      type: 'text',
      body: 'hello',
      chatJid: BOB_JID,
      fromMe: true,
    })
    expect(m.id).toMatch(/^3EB0[0-9A-F]{18}$/)
    expect(queued(sid)).toEqual([
      {
        wa_id: m.id,
        chat_jid: BOB_JID,
        content: { kind: 'text', text: 'hello', linkPreview: true, quoted: null, mentions: [] },
      },
    ])
    const events = app.db.sqlite
      .query<{ n: number }, [string]>("SELECT count(*) AS n FROM events WHERE type = 'message.sent' AND data LIKE ?")
      .get(`%${m.id}%`)!
    expect(events.n).toBe(1)
  })

  it('answers 400 validation_error naming the fields when two content fields are given', async () => {
    const res = await send(linkedSession(), { to: BOB, text: 'x', location: { latitude: 1, longitude: 2 } })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({
      code: 'validation_error',
      details: { fields: ['text', 'location'] },
    })
  })

  it('answers 400 validation_error listing the content fields when none is given', async () => {
    const res = await send(linkedSession(), { to: BOB })
    expect(res.status).toBe(400)
    const e = (await json(res)).error
    expect(e.code).toBe('validation_error')
    expect(e.details.fields).toEqual([
      'text',
      'image',
      'video',
      'audio',
      'document',
      'sticker',
      'location',
      'contacts',
      'poll',
    ])
  })

  it('answers 400 when a media object has two sources', async () => {
    const res = await send(linkedSession(), { to: BOB, image: { data: PNG.toString('base64'), mediaId: 'm1' } })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details).toEqual({ fields: ['image.data', 'image.mediaId'] })
  })

  it('answers 400 for a caption on audio', async () => {
    const res = await send(linkedSession(), { to: BOB, audio: { data: PNG.toString('base64'), caption: 'no' } })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details).toEqual({ field: 'audio.caption' })
  })

  it('answers 400 for data that is not base64', async () => {
    const res = await send(linkedSession(), { to: BOB, image: { data: 'not base64!' } })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details).toEqual({ field: 'image.data' })
  })

  it('stores a base64 image in the data dir before answering, with its type sniffed from the bytes', async () => {
    const sid = linkedSession()
    const res = await send(sid, { to: BOB, image: { data: PNG.toString('base64'), caption: 'a pixel' } })
    expect(res.status).toBe(201)
    const m = await json(res)
    expect(m).toMatchObject({
      type: 'image',
      body: 'a pixel',
      hasMedia: true,
      media: { mimetype: 'image/png', size: PNG.length },
    })
    const sha256 = new Bun.CryptoHasher('sha256').update(PNG).digest('hex')
    expect(queued(sid)[0]!.content).toMatchObject({ kind: 'image', sha256, mimetype: 'image/png', caption: 'a pixel' })
    expect(Buffer.from(await Bun.file(`${app.dir}/media/${sha256.slice(0, 2)}/${sha256}`).arrayBuffer())).toEqual(PNG)
  })

  it('accepts multipart/form-data: a document with its filename, type from the mimetype', async () => {
    const sid = linkedSession()
    const form = new FormData()
    form.set('to', BOB)
    form.set('caption', 'your invoice')
    form.set('file', new File([PDF], 'invoice.pdf', { type: 'application/pdf' }))
    const res = await app.request(`/api/v1/sessions/${sid}/messages`, { method: 'POST', body: form })
    expect(res.status).toBe(201)
    const m = await json(res)
    expect(m).toMatchObject({
      type: 'document',
      body: 'your invoice',
      media: { mimetype: 'application/pdf', filename: 'invoice.pdf' },
    })
  })

  it('reads multipart fields that come after the file part', async () => {
    const form = new FormData()
    form.set('file', new File([PDF], 'late.pdf', { type: 'application/pdf' }))
    form.set('to', BOB)
    form.set('caption', 'fields last')
    const res = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, { method: 'POST', body: form })
    expect(res.status).toBe(201)
    expect(await json(res)).toMatchObject({ type: 'document', body: 'fields last', media: { filename: 'late.pdf' } })
  })

  it('answers 413 for a multipart file over --media-max-bytes before the rest of the body is read', async () => {
    const lazy = lazyMultipart({ to: BOB }, { name: 'big.mp4', type: 'video/mp4', size: 10 * 1024 * 1024 })
    const res = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, {
      method: 'POST',
      body: lazy.body,
      headers: { 'content-type': lazy.contentType },
    })
    expect(res.status).toBe(413)
    expect((await json(res)).error).toEqual({
      code: 'payload_too_large',
      message: `file exceeds ${1024 * 1024} bytes`,
      details: { limit: 1024 * 1024 },
    })
    expect(lazy.pulled()).toBeLessThan(lazy.total)
    expect(app.media.store.pending()).toBe(0)
  })

  it('refuses a multipart send without a valid token with 401 before reading the file', async () => {
    const lazy = lazyMultipart({ to: BOB }, { name: 'big.mp4', type: 'video/mp4', size: 10 * 1024 * 1024 })
    const res = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, {
      method: 'POST',
      body: lazy.body,
      headers: { 'content-type': lazy.contentType },
      token: 'wag_not_a_key',
    })
    expect(res.status).toBe(401)
    expect((await json(res)).error.code).toBe('unauthorized')
    expect(lazy.pulled()).toBeLessThan(lazy.total)
    expect(app.media.store.pending()).toBe(0)
  })

  it('refuses a multipart send from a key without send with 403 before reading the file', async () => {
    const lazy = lazyMultipart({ to: BOB }, { name: 'big.mp4', type: 'video/mp4', size: 10 * 1024 * 1024 })
    const res = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, {
      method: 'POST',
      body: lazy.body,
      headers: { 'content-type': lazy.contentType },
      token: app.key(['read']),
    })
    expect(res.status).toBe(403)
    expect((await json(res)).error).toEqual({
      code: 'forbidden',
      message: "this route requires the 'send' capability",
      details: { required: 'send' },
    })
    expect(lazy.pulled()).toBeLessThan(lazy.total)
    expect(app.media.store.pending()).toBe(0)
  })

  it('leaves no temp file behind when a multipart send is refused after its file arrived', async () => {
    const form = new FormData()
    form.set('to', BOB)
    form.set('file', new File([PDF], 'x.pdf', { type: 'application/pdf' }))
    const unauthorised = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, {
      method: 'POST',
      body: form,
      token: null,
    })
    expect(unauthorised.status).toBe(401)
    const invalid = new FormData()
    invalid.set('to', BOB)
    invalid.set('poll', '{not json')
    invalid.set('file', new File([PDF], 'y.pdf', { type: 'application/pdf' }))
    const bad = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, { method: 'POST', body: invalid })
    expect(bad.status).toBe(400)
    // The route deletes an unkept upload once the response is out (Elysia runs afterResponse on a later tick).
    for (let i = 0; i < 1000 && app.media.store.pending() > 0; i++) await Bun.sleep(5)
    expect(app.media.store.pending()).toBe(0)
  })

  it('infers image from a multipart file of type image/png', async () => {
    const form = new FormData()
    form.set('to', BOB)
    form.set('file', new File([PNG], 'p.png', { type: 'image/png' }))
    const res = await app.request(`/api/v1/sessions/${linkedSession()}/messages`, { method: 'POST', body: form })
    expect(res.status).toBe(201)
    expect((await json(res)).type).toBe('image')
  })

  it('refuses a url on a loopback address with 400 and the reason, before connecting', async () => {
    const res = await send(linkedSession(), { to: BOB, image: { url: 'http://127.0.0.1:9/x.png' } })
    expect(res.status).toBe(400)
    expect((await json(res)).error).toMatchObject({
      code: 'validation_error',
      details: { field: 'url', reason: 'refused' },
    })
  })

  it('queues location, contacts and poll as their types', async () => {
    const sid = linkedSession()
    const loc = await json(await send(sid, { to: BOB, location: { latitude: -6.2, longitude: 106.8, name: 'Monas' } }))
    const card = await json(
      await send(sid, { to: BOB, contacts: [{ name: 'Ann', phones: ['+62 811 000'], org: 'ACME' }] }),
    )
    const poll = await json(
      await send(sid, { to: BOB, poll: { name: 'Lunch?', options: ['yes', 'no'], selectableCount: 1 } }),
    )
    expect([loc.type, card.type, poll.type, poll.body]).toEqual(['location', 'contact', 'poll', 'Lunch?'])
    expect(queued(sid).map((q) => q.content.kind)).toEqual(['location', 'contacts', 'poll'])
  })

  it('answers 400 for a poll whose selectableCount exceeds its options', async () => {
    const res = await send(linkedSession(), { to: BOB, poll: { name: 'q', options: ['a', 'b'], selectableCount: 3 } })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details).toEqual({ field: 'poll.selectableCount' })
  })

  it('answers 429 rate_limited with Retry-After when the queue is full', async () => {
    const sid = linkedSession()
    for (let i = 0; i < 6; i++) expect((await send(sid, { to: BOB, text: `n${i}` })).status).toBe(201)
    const res = await send(sid, { to: BOB, text: 'one too many' })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('4')
    expect((await json(res)).error).toMatchObject({ code: 'rate_limited', details: { queued: 6, retryAfter: 4 } })
    expect(queued(sid)).toHaveLength(6)
  })

  it('answers 409 session_not_connected for a session that was never linked', async () => {
    const s = app.stores.sessions.create({ orgId: 'acme', name: 'unlinked' })
    const res = await send(s.id, { to: BOB, text: 'x' })
    expect(res.status).toBe(409)
    expect((await json(res)).error.code).toBe('session_not_connected')
  })

  it('queues one message for a retried Idempotency-Key', async () => {
    const sid = linkedSession()
    const a = await json(await send(sid, { to: BOB, text: 'once' }, { 'idempotency-key': 'k1' }))
    const b = await json(await send(sid, { to: BOB, text: 'once' }, { 'idempotency-key': 'k1' }))
    expect(b.id).toBe(a.id)
    expect(queued(sid)).toHaveLength(1)
  })
})

describe('operations on a stored message', () => {
  let sid: string
  let own: any
  const path = (mid: string) => `/api/v1/sessions/${sid}/chats/${encodeURIComponent(BOB_JID)}/messages/${mid}`
  const theirs = '3EB0THEIRS000000000001'

  beforeAll(async () => {
    sid = linkedSession()
    own = await json(await send(sid, { to: BOB, text: 'editable' }))
    app.db.sqlite
      .query(
        `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, type, body, status, ack_level, timestamp)
         VALUES (?, ?, ?, 0, ?, 'text', 'from bob', 'delivered', 3, ?)`,
      )
      .run(sid, BOB_JID, theirs, BOB_JID, now)
  })

  const last = () => queued(sid).at(-1)!.content

  it('GET answers one stored message', async () => {
    const res = await app.request(path(own.id))
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual(own)
  })

  it('GET answers 404 for an unknown message', async () => {
    const res = await app.request(path('3EB0NOPE'))
    expect(res.status).toBe(404)
    expect((await json(res)).error.code).toBe('not_found')
  })

  it(':react answers 204 and queues the reaction', async () => {
    const res = await app.request(`${path(theirs)}:react`, { method: 'POST', json: { emoji: '👍' } })
    expect(res.status).toBe(204)
    expect(last()).toMatchObject({ kind: 'react', emoji: '👍', target: { waId: theirs, fromMe: false } })
  })

  it(':react with "" queues the removal', async () => {
    expect((await app.request(`${path(theirs)}:react`, { method: 'POST', json: { emoji: '' } })).status).toBe(204)
    expect(last()).toMatchObject({ kind: 'react', emoji: '' })
  })

  it('PATCH queues an edit of an own text message', async () => {
    const res = await app.request(path(own.id), { method: 'PATCH', json: { text: 'edited' } })
    expect(res.status).toBe(204)
    expect(last()).toMatchObject({ kind: 'edit', text: 'edited', target: { waId: own.id, fromMe: true } })
  })

  it("PATCH answers 409 conflict for someone else's message", async () => {
    const res = await app.request(path(theirs), { method: 'PATCH', json: { text: 'mine now' } })
    expect(res.status).toBe(409)
    expect((await json(res)).error.code).toBe('conflict')
  })

  it(':forward answers 201 with the new pending message to the other chat', async () => {
    const res = await app.request(`${path(theirs)}:forward`, { method: 'POST', json: { to: '15550001002' } })
    expect(res.status).toBe(201)
    const m = await json(res)
    expect(m).toMatchObject({ status: 'pending', body: 'from bob', chatJid: '15550001002@s.whatsapp.net' })
    expect(last()).toMatchObject({ kind: 'text', text: 'from bob', forwarded: true })
  })

  it('DELETE answers 204 and queues the revoke', async () => {
    const res = await app.request(path(own.id), { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(last()).toMatchObject({ kind: 'revoke', target: { waId: own.id } })
  })

  it("PATCH answers 409 conflict outside WhatsApp's 15-minute edit window", async () => {
    now += 15 * 60_000 + 1
    const res = await app.request(path(own.id), { method: 'PATCH', json: { text: 'too late' } })
    expect(res.status).toBe(409)
    expect((await json(res)).error).toMatchObject({ code: 'conflict', details: { sentAt: own.timestamp } })
  })
})

describe('per-session pacing in metadata', () => {
  it('answers 400 for a metadata.sendPacing that is not minGapMs, jitterMs, typing', async () => {
    const sid = linkedSession()
    const res = await app.request(`/api/v1/sessions/${sid}`, {
      method: 'PATCH',
      json: { metadata: { sendPacing: { minGapMs: 'fast' } } },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details).toEqual({ field: 'metadata.sendPacing' })
  })

  it('sets the Retry-After of a full queue from the session pacing', async () => {
    const sid = linkedSession()
    const patch = { metadata: { sendPacing: { minGapMs: 10_000, jitterMs: 0 } } }
    expect((await app.request(`/api/v1/sessions/${sid}`, { method: 'PATCH', json: patch })).status).toBe(200)
    for (let i = 0; i < 6; i++) await send(sid, { to: BOB, text: `p${i}` })
    expect((await send(sid, { to: BOB, text: 'full' })).headers.get('retry-after')).toBe('10')
  })
})
