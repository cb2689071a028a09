// Media through the simulator's HTTPS media host with the real Baileys: uploads it checks (MAC and both hashes),
// downloads it encrypts, each media kind both ways compared by SHA-256, and an expired URL answered by re-upload.
// One simulator, one linked client for the whole file.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import {
  downloadMediaMessage,
  generateWAMessage,
  type AnyMessageContent,
  type WAMessage,
} from '@whiskeysockets/baileys'
import type { Boom } from '@hapi/boom'
import { trustMediaCa } from '../../src/whatsapp/media-ca.ts'
import { account, api, end, pairByQr, quietLibsignal, world, type Client, type World } from './harness.ts'

const CONTACT = '15554000001'
const LINKED = '15554000002'
let w: World
let c: Client
let untrustMedia: () => void
let restoreConsole: () => void

beforeAll(async () => {
  restoreConsole = quietLibsignal()
  w = await world()
  untrustMedia = trustMediaCa(w.sim.mediaCa)
  await account(w.sim, CONTACT, { name: 'Carol' })
  await account(w.sim, LINKED)
  c = await pairByQr(w.sim, LINKED)
}, 30_000)

afterAll(async () => {
  await end(c)
  await w.sim.stop()
  w.untrust()
  untrustMedia()
  restoreConsole()
})

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const contactJid = `${CONTACT}@s.whatsapp.net`

type Received = { id: string; kind: string; media?: Record<string, unknown> }

/** The contact phone's inbox entry for `id`, once it is there. */
async function received(id: string): Promise<Received> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(20)) {
    const r = await api<{ data: Received[] }>(w.sim, 'GET', `/accounts/${CONTACT}/messages`)
    const m = r.body.data.find((x) => x.id === id)
    if (m) return m
  }
  throw new Error(`message ${id} never reached the phone`)
}

const upserted = (id: string) =>
  c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === id && m.message))

const cases: Array<{ kind: string; mimetype: string; content: (b: Buffer) => AnyMessageContent; extra: object }> = [
  {
    kind: 'image',
    mimetype: 'image/jpeg',
    content: (b) => ({ image: b, caption: 'a photo' }),
    extra: { caption: 'a photo' },
  },
  {
    kind: 'video',
    mimetype: 'video/mp4',
    content: (b) => ({ video: b, caption: 'a clip' }),
    extra: { caption: 'a clip' },
  },
  {
    kind: 'audio',
    mimetype: 'audio/mp4',
    content: (b) => ({ audio: b, mimetype: 'audio/mp4' }),
    extra: { ptt: false },
  },
  {
    kind: 'audio',
    mimetype: 'audio/ogg; codecs=opus',
    content: (b) => ({ audio: b, mimetype: 'audio/ogg; codecs=opus', ptt: true }),
    extra: { ptt: true },
  },
  {
    kind: 'document',
    mimetype: 'application/pdf',
    content: (b) => ({ document: b, mimetype: 'application/pdf', fileName: 'invoice.pdf' }),
    extra: { filename: 'invoice.pdf' },
  },
  { kind: 'sticker', mimetype: 'image/webp', content: (b) => ({ sticker: b }), extra: {} },
]

describe('simulator media', () => {
  test('media_conn announces the HTTPS media host on 127.0.0.1, whose certificate only the media CA makes trusted', async () => {
    const conn = await c.sock.refreshMediaConn(true)
    expect(conn.hosts).toEqual([
      { hostname: expect.stringMatching(/^127\.0\.0\.1:\d+$/), maxContentLengthBytes: 536870912 },
    ])
    expect(conn.auth).toEqual(expect.any(String))
    // Without WhatsApp's Origin header the request is not a media transfer, so the extra CA does not apply.
    const plain = await fetch(`https://${conn.hosts[0]!.hostname}/`).then(
      () => 'connected',
      (err: Error) => err.message,
    )
    expect(plain).toMatch(/certificate/i)
  })

  test.each(cases)(
    'client → phone: $kind ($mimetype) arrives with the same bytes',
    async ({ kind, mimetype, content, extra }) => {
      const bytes = randomBytes(50_000 + Math.floor(Math.random() * 1000))
      const sent = await c.sock.sendMessage(contactJid, content(bytes))
      const m = await received(sent!.key.id!)
      expect(m.kind).toBe(kind)
      expect(m.media).toMatchObject({
        mimetype,
        size: bytes.length,
        sha256: hex(bytes),
        data: bytes.toString('base64'),
        ...extra,
      })
      expect(m.media!.error).toBeUndefined()
    },
  )

  test.each(cases)(
    'phone → client: $kind ($mimetype) downloads with the same bytes',
    async ({ kind, mimetype, extra }) => {
      const bytes = randomBytes(40_000)
      const body = { data: bytes.toString('base64'), mimetype, ...extra }
      const r = await api<{ id: string; media: { sha256: string; size: number } }>(
        w.sim,
        'POST',
        `/accounts/${CONTACT}/messages`,
        {
          to: LINKED,
          [kind]: body,
        },
      )
      expect(r.status).toBe(201)
      expect(r.body.media).toEqual({ sha256: hex(bytes), size: bytes.length })
      const msg = await upserted(r.body.id)
      const got = await downloadMediaMessage(msg, 'buffer', {})
      expect(hex(got)).toBe(hex(bytes))
    },
  )

  test.each([
    { field: 'fileSha256', error: 'fileSha256 does not match the plaintext' },
    { field: 'fileEncSha256', error: 'fileEncSha256 does not match the blob' },
    { field: 'mediaKey', error: 'MAC mismatch' },
  ] as const)('the phone checks what Baileys uploaded: a wrong $field is reported', async ({ field, error }) => {
    const msg = await generateWAMessage(
      contactJid,
      { image: randomBytes(2000) },
      {
        upload: c.sock.waUploadToServer,
        userJid: c.sock.user!.id,
      },
    )
    msg.message!.imageMessage![field] = randomBytes(32)
    await c.sock.relayMessage(contactJid, msg.message!, { messageId: msg.key.id! })
    const m = await received(msg.key.id!)
    expect(m.media).toMatchObject({ error })
    expect(m.media!.data).toBeUndefined()
  })

  test('an upload whose token is not the SHA-256 of its body, or without the media_conn auth, is refused', async () => {
    const conn = await c.sock.refreshMediaConn(false)
    const host = conn.hosts[0]!.hostname
    const post = (token: string, auth: string) =>
      fetch(`https://${host}/mms/image/${token}?auth=${encodeURIComponent(auth)}&token=${token}`, {
        method: 'POST',
        body: new Uint8Array([1, 2, 3]),
        headers: { Origin: 'https://web.whatsapp.com' },
      }).then((res) => res.status)
    const right = createHash('sha256')
      .update(new Uint8Array([1, 2, 3]))
      .digest('base64url')
    expect(await post('AAAA', conn.auth)).toBe(400)
    expect(await post(right, 'not-the-token')).toBe(401)
    expect(await post(right, conn.auth)).toBe(200)
  })

  test('an expired URL answers 410; the re-upload request gets a live URL on the same host and the same bytes', async () => {
    const bytes = randomBytes(30_000)
    const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${CONTACT}/messages`, {
      to: LINKED,
      image: { data: bytes.toString('base64'), mimetype: 'image/png', expired: true },
    })
    const msg: WAMessage = await upserted(r.body.id)
    const failure = await downloadMediaMessage(msg, 'buffer', {}).catch((err: Boom) => err)
    expect((failure as Boom).output?.statusCode).toBe(410)
    // Baileys rebuilds the URL from the host its last media_conn named (mmg.whatsapp.net if none ran).
    await c.sock.refreshMediaConn(false)
    const expiredPath = msg.message!.imageMessage!.directPath
    // updateMediaMessage rewrites the message it is given and returns it.
    const updated = await c.sock.updateMediaMessage(msg)
    const host = (await c.sock.refreshMediaConn(false)).hosts[0]!.hostname
    expect(new URL(updated.message!.imageMessage!.url!).host).toBe(host)
    expect(updated.message!.imageMessage!.directPath).not.toBe(expiredPath)
    expect(hex(await downloadMediaMessage(updated, 'buffer', {}))).toBe(hex(bytes))
    const sent = await api<{ data: Array<{ id: string; mediaRetries?: number }> }>(
      w.sim,
      'GET',
      `/accounts/${CONTACT}/sent`,
    )
    expect(sent.body.data.find((s) => s.id === r.body.id)?.mediaRetries).toBe(1)
  })

  test('expireMedia expires a URL that worked; a re-upload brings it back; a text message has no media to expire', async () => {
    const bytes = randomBytes(5_000)
    const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${CONTACT}/messages`, {
      to: LINKED,
      video: { data: bytes.toString('base64'), mimetype: 'video/mp4' },
    })
    const msg = await upserted(r.body.id)
    expect(hex(await downloadMediaMessage(msg, 'buffer', {}))).toBe(hex(bytes))
    const expired = await api(w.sim, 'POST', `/accounts/${CONTACT}/sent/${r.body.id}:expireMedia`)
    expect(expired).toEqual({ status: 200, body: { expired: true } })
    const failure = (await downloadMediaMessage(msg, 'buffer', {}).catch((e: Boom) => e)) as Boom
    expect(failure.output.statusCode).toBe(410)
    await c.sock.refreshMediaConn(false)
    expect(hex(await downloadMediaMessage(await c.sock.updateMediaMessage(msg), 'buffer', {}))).toBe(hex(bytes))
    const text = await api<{ id: string }>(w.sim, 'POST', `/accounts/${CONTACT}/messages`, { to: LINKED, text: 'x' })
    expect((await api(w.sim, 'POST', `/accounts/${CONTACT}/sent/${text.body.id}:expireMedia`)).status).toBe(404)
    expect((await api(w.sim, 'POST', `/accounts/${CONTACT}/sent/${r.body.id}:explode`)).status).toBe(404)
  })

  test('a re-upload the phone cannot do fails with 404', async () => {
    const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${CONTACT}/messages`, {
      to: LINKED,
      document: {
        data: randomBytes(100).toString('base64'),
        mimetype: 'text/plain',
        expired: true,
        retry: 'not_found',
      },
    })
    const msg = await upserted(r.body.id)
    const err = (await c.sock.updateMediaMessage(msg).catch((e: Boom) => e)) as Boom
    expect(err.output.statusCode).toBe(404)
  })
})
