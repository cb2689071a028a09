// POST …/media (upload once, mediaId) and GET …/messages/{mid}/media (bytes, ETag, Range) through the real app.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createIngest } from '../../src/sessions/ingest.ts'
import { emptyBatch, type MessageRecord } from '../../src/whatsapp/records.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { lazyBytes, lazyMultipart } from '../helpers/lazy-body.ts'

let t: TestApp
let sid: string
const CHAT = '15550000002@s.whatsapp.net'
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
// A real 1×1 PNG (a signature followed by noise is no PNG to file-type, which checks the chunks).
const png = new Uint8Array(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  ),
)
const pdf = new TextEncoder().encode('%PDF-1.4 ' + 'x'.repeat(5000))

function record(waId: string, over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    chatJid: CHAT,
    waId,
    serverId: null,
    fromMe: false,
    senderJid: CHAT,
    senderLid: null,
    senderName: 'Bob',
    type: 'document',
    body: null,
    media: { mimetype: 'application/pdf', filename: 'Invoice 7 — März.pdf', size: pdf.length, sha256: sha(pdf) },
    mediaSource: {
      kind: 'document',
      mediaKey: randomBytes(32),
      directPath: '/v/t62/x.enc',
      url: null,
      fileSha256: sha(pdf),
      fileEncSha256: null,
      size: pdf.length,
    },
    mentions: [],
    mentionNames: {},
    quotedId: null,
    status: 'delivered',
    timestamp: 1_700_000_000_000,
    undecryptable: false,
    ...over,
  }
}

/** Stores a received document message through ingest; `stored` also downloads it (here: puts the bytes). */
async function receive(waId: string, stored: boolean) {
  const ingest = createIngest({
    db: t.db,
    events: t.stores.events,
    mediaPolicy: { autoDownload: ['document'], maxBytes: 1 << 20 },
  })
  const b = emptyBatch()
  b.messages.push({ record: record(waId), live: true })
  ingest.batch(sid, b)
  const [job] = ingest.dueMedia(sid, 10).filter((j) => j.wa_id === waId)
  if (stored) {
    const s = await t.media.store.put(pdf, { holder: { sessionId: sid, owner: `message:${job!.message_pk}` } })
    ingest.mediaSettled(sid, job!.message_pk, 1, { status: 'stored', ...s })
  }
}

const mediaPath = (mid: string) => `/api/v1/sessions/${sid}/chats/${encodeURIComponent(CHAT)}/messages/${mid}/media`
const upload = (body: RequestInit['body'], headers: Record<string, string> = {}, q = '', token?: string) =>
  t.request(`/api/v1/sessions/${sid}/media${q}`, { method: 'POST', body, headers, ...(token ? { token } : {}) })

beforeAll(async () => {
  t = await testApp()
  sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
  await receive('DOC1', true)
  await receive('DOC2', false)
})
afterAll(() => t.close())

describe('POST /sessions/{sid}/media', () => {
  it('stores a raw body once and answers 201 with mediaId, mimetype, size and sha256', async () => {
    const res = await upload(pdf, { 'content-type': 'application/pdf' }, '?filename=a.pdf')
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toEqual({ mediaId: body.mediaId, mimetype: 'application/pdf', size: pdf.length, sha256: sha(pdf) })
    expect(body.mediaId).toMatch(/^med_[0-9A-Z]{26}$/)
    expect(t.stores.media.upload(sid, body.mediaId)).toMatchObject({ sha256: sha(pdf), filename: 'a.pdf' })
  })

  it('takes a multipart file part and its type', async () => {
    const form = new FormData()
    form.append('file', new File([png], 'shot.png', { type: 'image/png' }))
    const res = await upload(form)
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toEqual({ mediaId: body.mediaId, mimetype: 'image/png', size: png.length, sha256: sha(png) })
    expect(t.stores.media.upload(sid, body.mediaId)?.filename).toBe('shot.png')
  })

  it('sniffs the type of an application/octet-stream body', async () => {
    const body = await json(await upload(png, { 'content-type': 'application/octet-stream' }))
    expect(body.mimetype).toBe('image/png')
  })

  it('rejects a multipart body without a file part with 400', async () => {
    const form = new FormData()
    form.append('note', 'x')
    const res = await upload(form)
    expect(res.status).toBe(400)
    expect((await json(res)).error).toEqual({
      code: 'validation_error',
      message: 'multipart body needs a file part named "file"',
      details: { field: 'file' },
    })
  })

  it('rejects a JSON body with 400', async () => {
    const res = await upload(JSON.stringify({ a: 1 }), { 'content-type': 'application/json' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.code).toBe('validation_error')
  })

  it('rejects an empty file with 400', async () => {
    const res = await upload(new Uint8Array(), { 'content-type': 'image/png' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.message).toBe('the file is empty')
  })

  it('answers 413 for a file over --media-max-bytes and keeps nothing', async () => {
    const big = randomBytes(t.media.maxBytes + 1)
    const res = await upload(big, { 'content-type': 'video/mp4' })
    expect(res.status).toBe(413)
    expect((await json(res)).error.code).toBe('payload_too_large')
    expect(await t.media.store.has(sha(big))).toBe(false)
    expect(t.media.store.pending()).toBe(0)
  })

  it('answers 413 for a raw body over the cap before the rest of it is read, leaving no temp file', async () => {
    const lazy = lazyBytes(10 * t.media.maxBytes)
    const res = await upload(lazy.body, { 'content-type': 'video/mp4' })
    expect(res.status).toBe(413)
    expect((await json(res)).error).toEqual({
      code: 'payload_too_large',
      message: `file exceeds ${t.media.maxBytes} bytes`,
      details: { limit: t.media.maxBytes },
    })
    expect(lazy.pulled()).toBeLessThan(lazy.total)
    expect(t.media.store.pending()).toBe(0)
  })

  it('answers 413 for a multipart file over the cap before the rest of the body is read, leaving no temp file', async () => {
    const lazy = lazyMultipart({ note: 'big' }, { name: 'big.mp4', type: 'video/mp4', size: 10 * t.media.maxBytes })
    const res = await upload(lazy.body, { 'content-type': lazy.contentType })
    expect(res.status).toBe(413)
    expect((await json(res)).error.code).toBe('payload_too_large')
    expect(lazy.pulled()).toBeLessThan(lazy.total)
    expect(t.media.store.pending()).toBe(0)
  })

  it('stores a multipart file streamed in chunks, with its hash over every byte', async () => {
    const lazy = lazyMultipart({}, { name: 'clip.mp4', type: 'video/mp4', size: 3 * 1024 * 1024 + 7 })
    const res = await upload(lazy.body, { 'content-type': lazy.contentType })
    expect(res.status).toBe(201)
    const expected = sha(new Uint8Array(3 * 1024 * 1024 + 7).fill(0x5a))
    expect(await json(res)).toMatchObject({ mimetype: 'video/mp4', size: 3 * 1024 * 1024 + 7, sha256: expected })
    expect(lazy.pulled()).toBe(lazy.total)
  })

  it('rejects a multipart body with two file parts named file with 400, keeping nothing', async () => {
    const form = new FormData()
    form.append('file', new File([pdf], 'a.pdf', { type: 'application/pdf' }))
    form.append('file', new File([png], 'b.png', { type: 'image/png' }))
    const res = await upload(form)
    expect(res.status).toBe(400)
    expect((await json(res)).error).toEqual({
      code: 'validation_error',
      message: 'only one file part is allowed',
      details: { field: 'file' },
    })
    expect(t.media.store.pending()).toBe(0)
  })

  it('rejects a multipart body that breaks off with 400', async () => {
    const body = '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nabc'
    const res = await upload(body, { 'content-type': 'multipart/form-data; boundary=xyz' })
    expect(res.status).toBe(400)
    expect((await json(res)).error.message).toBe('malformed multipart body')
    expect(t.media.store.pending()).toBe(0)
  })

  it('answers 413 for a streamed body over the cap that declared no length', async () => {
    const big = randomBytes(t.media.maxBytes + 10)
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 1 << 20) c.enqueue(big.subarray(i, i + (1 << 20)))
        c.close()
      },
    })
    const res = await upload(stream, { 'content-type': 'video/mp4' })
    expect(res.status).toBe(413)
  })

  it('needs the send capability', async () => {
    const res = await upload(pdf, { 'content-type': 'application/pdf' }, '', t.key(['read']))
    expect(res.status).toBe(403)
  })

  it("answers 404 for another organisation's session", async () => {
    const res = await upload(pdf, { 'content-type': 'application/pdf' }, '', t.key(undefined, 'other'))
    expect(res.status).toBe(404)
  })
})

describe('GET …/messages/{mid}/media', () => {
  it('streams the bytes with type, length, ETag and the filename', async () => {
    const res = await t.request(mediaPath('DOC1'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.headers.get('content-length')).toBe(String(pdf.length))
    expect(res.headers.get('etag')).toBe(`"${sha(pdf)}"`)
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Invoice 7 _ M_rz.pdf"; filename*=UTF-8''${encodeURIComponent('Invoice 7 — März.pdf')}`,
    )
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(pdf))
  })

  it('serves a Range with 206 and Content-Range', async () => {
    const res = await t.request(mediaPath('DOC1'), { headers: { range: 'bytes=100-199' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${pdf.length}`)
    expect(res.headers.get('content-length')).toBe('100')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pdf.subarray(100, 200))
  })

  it('serves a suffix range (the last n bytes)', async () => {
    const res = await t.request(mediaPath('DOC1'), { headers: { range: 'bytes=-10' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes ${pdf.length - 10}-${pdf.length - 1}/${pdf.length}`)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pdf.subarray(pdf.length - 10))
  })

  it('answers 416 for a range past the end', async () => {
    const res = await t.request(mediaPath('DOC1'), { headers: { range: `bytes=${pdf.length}-` } })
    expect(res.status).toBe(416)
    expect(res.headers.get('content-range')).toBe(`bytes */${pdf.length}`)
    expect((await json(res)).error.code).toBe('validation_error')
  })

  it('answers 304 when If-None-Match is the ETag', async () => {
    const res = await t.request(mediaPath('DOC1'), { headers: { 'if-none-match': `"${sha(pdf)}"` } })
    expect(res.status).toBe(304)
  })

  it('answers 409 conflict with details.mediaStatus while the download is pending', async () => {
    const res = await t.request(mediaPath('DOC2'))
    expect(res.status).toBe(409)
    expect(await json(res)).toEqual({
      error: { code: 'conflict', message: 'the media is pending', details: { mediaStatus: 'pending' } },
    })
  })

  it('answers 404 when the message has no media', async () => {
    const ingest = createIngest({ db: t.db, events: t.stores.events })
    const b = emptyBatch()
    b.messages.push({
      record: record('TXT1', { type: 'text', body: 'hi', media: null, mediaSource: null }),
      live: true,
    })
    ingest.batch(sid, b)
    const res = await t.request(mediaPath('TXT1'))
    expect(res.status).toBe(404)
    expect((await json(res)).error.message).toBe('the message has no media')
  })

  it('answers 404 for an unknown message', async () => {
    expect((await t.request(mediaPath('NOPE'))).status).toBe(404)
  })

  it('shows the media object with status and url on the message', async () => {
    const page = await json(await t.request(`/api/v1/sessions/${sid}/chats/${encodeURIComponent(CHAT)}/messages`))
    const doc = page.data.find((m: { id: string }) => m.id === 'DOC1')
    expect(doc.media).toEqual({
      mimetype: 'application/pdf',
      filename: 'Invoice 7 — März.pdf',
      size: pdf.length,
      sha256: sha(pdf),
      status: 'stored',
      url: mediaPath('DOC1'),
    })
  })
})

describe('deleting a session', () => {
  it('deletes the media files only that session referenced', async () => {
    const other = t.stores.sessions.create({ orgId: 'acme', name: 'other' }).id
    const mine = randomBytes(64)
    const shared = randomBytes(64)
    await t.media.store.put(mine, { holder: { sessionId: other, owner: 'upload:m' } })
    await t.media.store.put(shared, { holder: { sessionId: other, owner: 'upload:s' } })
    await t.media.store.ref(sha(shared), sid, 'upload:s2')
    const res = await t.request(`/api/v1/sessions/${other}`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(await t.media.store.has(sha(mine))).toBe(false)
    expect(existsSync(join(t.media.store.dir, sha(mine).slice(0, 2), sha(mine)))).toBe(false)
    expect(await t.media.store.has(sha(shared))).toBe(true)
  })
})
