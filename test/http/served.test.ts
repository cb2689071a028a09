// The hot read listings answer with a prebuilt Response, which Elysia neither validates nor normalises: their
// bodies must match the schemas the OpenAPI document declares for them, for every kind of stored row.
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { Chat } from '../../src/domain/chat.ts'
import { Message } from '../../src/domain/message.ts'
import { PageOf } from '../../src/http/shared.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'

const chatPage = TypeCompiler.Compile(PageOf(Chat))
const messagePage = TypeCompiler.Compile(PageOf(Message))
const problems = (c: typeof chatPage | typeof messagePage, body: unknown) =>
  [...c.Errors(body)].map((e) => `${e.path}: ${e.message}`)

describe('listings served without response validation', () => {
  let t: TestApp
  let sid: string
  const dm = '6281200000001@s.whatsapp.net'
  const channel = '120363000000000009@newsletter'
  beforeAll(async () => {
    t = await testApp()
    sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
    const db = t.db.sqlite
    const chat = db.query(
      `INSERT INTO chats (session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    chat.run(sid, dm, 'dm', null, 2, 0, 1_700_000_000_500, 1_800_000_000_000, 1_700_000_000_000)
    chat.run(sid, '1203630001@g.us', 'group', null, 0, 1, 0, null, 1_700_000_000_100)
    chat.run(sid, channel, 'channel', 'News', 0, 0, 0, null, 0)
    db.run(`INSERT INTO contacts (session_id, jid, notify) VALUES (?, ?, 'Ana')`, [sid, dm])
    db.run(`INSERT INTO groups (session_id, jid, subject) VALUES (?, '1203630001@g.us', 'Team')`, [sid])
    const msg = db.query(
      `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, sender_lid, sender_name, type, body,
         media, mentions, mention_names, quoted_id, status, ack_level, error, edited, deleted, location, contacts, poll,
         timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const media = JSON.stringify({
      mimetype: 'image/jpeg',
      filename: null,
      size: 2048,
      sha256: 'ab'.repeat(32),
      width: 4,
      height: 3,
      status: 'stored',
    })
    const legacyMedia = JSON.stringify({ mimetype: 'audio/ogg', filename: null, size: null, durationSeconds: 7 })
    const location = JSON.stringify({ latitude: -6.2, longitude: 106.8, name: 'Monas', address: null, live: false })
    const contacts = JSON.stringify([{ name: 'Budi', phones: ['+62 812'], org: null, vcard: 'BEGIN:VCARD\nEND:VCARD' }])
    const poll = JSON.stringify({
      name: 'Lunch?',
      selectableCount: 1,
      options: [{ name: 'Yes', votes: 1, voters: [dm] }],
    })
    const rows: unknown[][] = [
      [
        dm,
        'A1',
        0,
        dm,
        null,
        'Ana',
        'text',
        'hi @x',
        null,
        '["62812@s.whatsapp.net"]',
        '{"62812@s.whatsapp.net":"X"}',
        null,
        'read',
        4,
        null,
        0,
        0,
        null,
        null,
        null,
      ],
      [
        dm,
        'A2',
        1,
        null,
        null,
        null,
        'image',
        'caption',
        media,
        '[]',
        '{}',
        'A1',
        'sent',
        2,
        null,
        1,
        0,
        null,
        null,
        null,
      ],
      [
        dm,
        'A3',
        0,
        dm,
        '12345@lid',
        null,
        'audio',
        null,
        legacyMedia,
        '[]',
        '{}',
        null,
        'delivered',
        3,
        null,
        0,
        0,
        null,
        null,
        null,
      ],
      [
        dm,
        'A4',
        0,
        dm,
        null,
        null,
        'location',
        null,
        null,
        '[]',
        '{}',
        null,
        'delivered',
        3,
        null,
        0,
        0,
        location,
        null,
        null,
      ],
      [
        dm,
        'A5',
        1,
        null,
        null,
        null,
        'contact',
        null,
        null,
        '[]',
        '{}',
        null,
        'error',
        0,
        'not sent',
        0,
        0,
        null,
        contacts,
        null,
      ],
      [dm, 'A6', 1, null, null, null, 'poll', null, null, '[]', '{}', null, 'sent', 2, null, 0, 1, null, null, poll],
      [
        channel,
        'C1',
        0,
        channel,
        null,
        null,
        'text',
        'post',
        null,
        '[]',
        '{}',
        null,
        'delivered',
        3,
        null,
        0,
        0,
        null,
        null,
        null,
      ],
    ]
    rows.forEach((r, i) => msg.run(sid, ...(r as []), 1_700_000_000_000 + i))
  })
  afterAll(() => t.close())

  it('GET …/chats matches PageOf(Chat)', async () => {
    const res = await t.request(`/api/v1/sessions/${sid}/chats`)
    expect(res.headers.get('content-type')).toBe('application/json;charset=utf-8')
    const body = await json(res)
    expect(body.data.map((c: { name: string | null }) => c.name)).toEqual(['Ana', 'Team', 'News'])
    expect(problems(chatPage, body)).toEqual([])
  })

  it('GET …/chats/:cid/messages matches PageOf(Message)', async () => {
    const body = await json(await t.request(`/api/v1/sessions/${sid}/chats/${dm}/messages`))
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['A6', 'A5', 'A4', 'A3', 'A2', 'A1'])
    expect(problems(messagePage, body)).toEqual([])
  })

  it('GET …/channels/:jid/messages matches PageOf(Message)', async () => {
    const body = await json(await t.request(`/api/v1/sessions/${sid}/channels/${channel}/messages`))
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['C1'])
    expect(problems(messagePage, body)).toEqual([])
  })

  const listings = () => [
    `/api/v1/sessions/${sid}/chats`,
    `/api/v1/sessions/${sid}/chats/${dm}/messages`,
    `/api/v1/sessions/${sid}/channels/${channel}/messages`,
  ]

  it('answers carry the request id like every other route', async () => {
    const res = await t.request(`/api/v1/sessions/${sid}/chats`, { headers: { 'x-request-id': 'req-served-1' } })
    expect(res.headers.get('x-request-id')).toBe('req-served-1')
  })

  it("each listing echoes the caller's x-request-id beside its JSON content type", async () => {
    for (const [i, path] of listings().entries()) {
      const res = await t.request(path, { headers: { 'x-request-id': `req-listing-${i}` } })
      expect([res.status, res.headers.get('x-request-id'), res.headers.get('content-type')]).toEqual([
        200,
        `req-listing-${i}`,
        'application/json;charset=utf-8',
      ])
    }
  })

  it('each listing answers a generated request id when the caller sends none, a new one per request', async () => {
    const ids = []
    for (const path of [...listings(), ...listings()]) ids.push((await t.request(path)).headers.get('x-request-id'))
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-z]+_[0-9]+$/)
    expect(new Set(ids).size).toBe(6)
  })

  it('an error on a listing still carries the request id', async () => {
    const res = await t.request(`/api/v1/sessions/${sid}/chats?cursor=forged.tag`, {
      headers: { 'x-request-id': 'req-bad-cursor' },
    })
    expect([res.status, res.headers.get('x-request-id')]).toEqual([400, 'req-bad-cursor'])
  })
})
