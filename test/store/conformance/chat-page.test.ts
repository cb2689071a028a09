// A chat's message listing by the JID in the path (messages.chatPage): the chat is resolved by its JID or by the
// LID of a person whose chat is kept under the phone number, the same on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

const PN = '628111@s.whatsapp.net'
const LID = '9@lid'

describe.each(dialects)('%s: a chat’s message listing', (name) => {
  const d = useDialect(name)
  const chat = (sessionId: string, jid: string) => d().insert('chats', { session_id: sessionId, jid, type: 'dm' })
  const message = (sessionId: string, chatJid: string, waId: string, timestamp: number) =>
    d().insert(
      'messages',
      {
        session_id: sessionId,
        chat_jid: chatJid,
        wa_id: waId,
        from_me: false,
        type: 'text',
        status: 'delivered',
        timestamp,
      },
      'pk',
    )

  it('pages a chat stored under the JID asked for, newest first, with the cursors of its own listing', async () => {
    const { messages, codec } = d().repos
    const { sessionId } = await d().tenant()
    await chat(sessionId, PN)
    await message(sessionId, PN, 'A', 1_000)
    const b = await message(sessionId, PN, 'B', 2_000)
    await message(sessionId, PN, 'C', 3_000)
    const p1 = await messages.chatPage(sessionId, PN, { limit: 2 })
    expect(p1?.data.map((m) => m.id)).toEqual(['C', 'B'])
    expect(p1?.nextCursor).toBe(codec.encode(`messages:${sessionId}:${PN}`, [2_000, b]))
    const p2 = await messages.chatPage(sessionId, PN, { limit: 2, cursor: p1!.nextCursor! })
    expect(p2).toEqual({ data: [expect.objectContaining({ id: 'A' })], nextCursor: null })
  })

  it('answers the phone-number chat by the person’s LID once the mapping is known', async () => {
    const { messages } = d().repos
    const { sessionId } = await d().tenant()
    await chat(sessionId, PN)
    await d().insert('contacts', { session_id: sessionId, jid: PN, lid: LID }, null)
    await message(sessionId, PN, 'A', 1_000)
    const page = await messages.chatPage(sessionId, LID, { limit: 5 })
    expect(page?.data.map((m) => [m.id, m.chatJid])).toEqual([['A', PN]])
  })

  it('a cursor issued under the chat’s former LID continues the joined chat’s listing', async () => {
    const { messages, codec } = d().repos
    const { sessionId } = await d().tenant()
    await chat(sessionId, PN)
    await d().insert('contacts', { session_id: sessionId, jid: PN, lid: LID }, null)
    await message(sessionId, PN, 'A', 1_000)
    const b = await message(sessionId, PN, 'B', 2_000)
    const former = codec.encode(`messages:${sessionId}:${LID}`, [2_000, b])
    const page = await messages.chatPage(sessionId, PN, { limit: 5, cursor: former })
    expect(page?.data.map((m) => m.id)).toEqual(['A'])
  })

  it('an empty chat is an empty page; an unknown chat or another session’s is none', async () => {
    const { messages } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    await chat(sessionId, PN)
    await chat(other.sessionId, '628222@s.whatsapp.net')
    await message(other.sessionId, '628222@s.whatsapp.net', 'X', 1_000)
    expect(await messages.chatPage(sessionId, PN, { limit: 5 })).toEqual({ data: [], nextCursor: null })
    expect(await messages.chatPage(sessionId, '628333@s.whatsapp.net', { limit: 5 })).toBeNull()
    expect(await messages.chatPage(sessionId, '628222@s.whatsapp.net', { limit: 5 })).toBeNull()
  })

  it('messages stored without their chat are not listed', async () => {
    const { messages } = d().repos
    const { sessionId } = await d().tenant()
    await message(sessionId, PN, 'A', 1_000)
    expect(await messages.chatPage(sessionId, PN, { limit: 5 })).toBeNull()
  })

  it('a cursor of another listing is refused for a stored chat', async () => {
    const { messages, codec } = d().repos
    const { sessionId } = await d().tenant()
    await chat(sessionId, PN)
    await message(sessionId, PN, 'A', 1_000)
    const elsewhere = codec.encode(`messages:${sessionId}:628444@s.whatsapp.net`, [2_000, 1])
    const refused = await messages
      .chatPage(sessionId, PN, { limit: 5, cursor: elsewhere })
      .catch((e: Error) => e.message)
    expect(refused).toBe('invalid cursor')
  })
})
