// Messages repository: the same order, cursors and message shapes on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { mediaUrlOf } from '../../../src/domain/message.ts'
import { dialects, useDialect } from './dialects.ts'

const CHAT = '628111@s.whatsapp.net'

describe.each(dialects)('%s: messages', (name) => {
  const d = useDialect(name)
  const message = (sessionId: string, waId: string, timestamp: number, extra: Record<string, unknown> = {}) =>
    d().insert(
      'messages',
      {
        session_id: sessionId,
        chat_jid: CHAT,
        wa_id: waId,
        from_me: false,
        type: 'text',
        body: waId,
        status: 'delivered',
        timestamp,
        ...extra,
      },
      'pk',
    )

  it('page lists a chat’s messages newest first, ties by arrival, across pages', async () => {
    const { messages, codec } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    await message(sessionId, 'A', 1_000)
    await message(sessionId, 'B', 3_000)
    await message(sessionId, 'C', 2_000)
    const m4 = await message(sessionId, 'D', 2_000)
    await message(sessionId, 'E', 9_000, { chat_jid: 'elsewhere@s.whatsapp.net' })
    await message(other.sessionId, 'F', 9_000)
    const p1 = await messages.page(sessionId, CHAT, { limit: 2 })
    expect(p1.data.map((m) => m.id)).toEqual(['B', 'D'])
    expect(p1.nextCursor).toBe(codec.encode(`messages:${sessionId}:${CHAT}`, [2_000, m4]))
    const p2 = await messages.page(sessionId, CHAT, { limit: 2, cursor: p1.nextCursor! })
    expect(p2.data.map((m) => m.id)).toEqual(['C', 'A'])
    expect(p2.nextCursor).toBeNull()
  })

  it('a cursor issued under the chat’s former LID continues the joined chat’s listing', async () => {
    const { messages, codec } = d().repos
    const { sessionId } = await d().tenant()
    await message(sessionId, 'A', 1_000)
    const pk = await message(sessionId, 'B', 2_000)
    await message(sessionId, 'C', 3_000)
    const former = codec.encode(`messages:${sessionId}:9@lid`, [3_000, pk + 1])
    const page = await messages.page(sessionId, CHAT, { limit: 5, cursor: former }, '9@lid')
    expect(page.data.map((m) => m.id)).toEqual(['B', 'A'])
    expect(await messages.page(sessionId, CHAT, { limit: 5, cursor: former }).catch((e: Error) => e.message)).toBe(
      'invalid cursor',
    )
  })

  it('serves a message with its flags, JSON fields and media as the API shows them', async () => {
    const { sessionId } = await d().tenant()
    const media = { kind: 'image', mimetype: 'image/jpeg', size: 10, caption: 'hi', status: 'ready', sha256: 'ab' }
    const poll = { name: 'Lunch?', options: [{ name: 'a', votes: 2 }], selectableCount: 1 }
    const location = { latitude: -6.2, longitude: 106.8, name: 'Monas', address: null }
    const contacts = [{ name: 'Ana', phones: ['+62 811'], vcard: 'BEGIN:VCARD' }]
    const pk = await message(sessionId, 'M1', 1_700_000_000_000, {
      from_me: true,
      sender_jid: '628999@s.whatsapp.net',
      sender_lid: '99@lid',
      sender_name: 'Me',
      type: 'image',
      body: 'hi',
      media: JSON.stringify(media),
      mentions: JSON.stringify(['628222@s.whatsapp.net']),
      mention_names: JSON.stringify({ '628222@s.whatsapp.net': 'Budi' }),
      quoted_id: 'Q1',
      status: 'read',
      ack_level: 4,
      error: 'none',
      edited: true,
      deleted: true,
      location: JSON.stringify(location),
      contacts: JSON.stringify(contacts),
      poll: JSON.stringify(poll),
      created_at: 1_700_000_000_500,
    })
    expect(typeof pk).toBe('number')
    expect((await d().repos.messages.get(sessionId, CHAT, 'M1')) as unknown).toEqual({
      id: 'M1',
      waMessageId: 'M1',
      sessionId,
      chatJid: CHAT,
      fromMe: true,
      direction: 'out',
      senderJid: '628999@s.whatsapp.net',
      senderLid: '99@lid',
      senderName: 'Me',
      type: 'image',
      body: 'hi',
      hasMedia: true,
      media: { ...media, url: mediaUrlOf(sessionId, CHAT, 'M1') },
      location,
      contacts,
      poll,
      mentions: ['628222@s.whatsapp.net'],
      mentionNames: { '628222@s.whatsapp.net': 'Budi' },
      quotedMessageId: 'Q1',
      status: 'read',
      ackLevel: 4,
      error: 'none',
      edited: true,
      deleted: true,
      timestamp: 1_700_000_000_000,
      createdAt: 1_700_000_000_500,
    })
  })

  it('serves a plain incoming message without media or the optional fields', async () => {
    const { sessionId } = await d().tenant()
    await message(sessionId, 'P1', 5, { created_at: 6 })
    expect(await d().repos.messages.get(sessionId, CHAT, 'P1')).toEqual({
      id: 'P1',
      waMessageId: 'P1',
      sessionId,
      chatJid: CHAT,
      fromMe: false,
      direction: 'in',
      senderJid: null,
      senderLid: null,
      senderName: null,
      type: 'text',
      body: 'P1',
      hasMedia: false,
      media: null,
      mentions: [],
      mentionNames: {},
      quotedMessageId: null,
      status: 'delivered',
      ackLevel: 0,
      error: null,
      edited: false,
      deleted: false,
      timestamp: 5,
      createdAt: 6,
    })
  })

  it('get answers null for another chat’s or another session’s message', async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    await message(a.sessionId, 'X1', 1)
    expect(await d().repos.messages.get(b.sessionId, CHAT, 'X1')).toBeNull()
    expect(await d().repos.messages.get(a.sessionId, 'other@s.whatsapp.net', 'X1')).toBeNull()
    expect((await d().repos.messages.get(a.sessionId, CHAT, 'X1'))?.id).toBe('X1')
  })
})
