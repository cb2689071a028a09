// Chats repository: the same display order, cursors, display names and LID resolution on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

const pn = (n: number) => `${62_800_000_000 + n}@s.whatsapp.net`

describe.each(dialects)('%s: chats', (name) => {
  const d = useDialect(name)
  const chat = (sessionId: string, jid: string, extra: Record<string, unknown> = {}) =>
    d().insert('chats', { session_id: sessionId, jid, type: 'dm', ...extra })

  it('page serves pinned chats first (latest pin on top), then latest activity, ties by id, across pages', async () => {
    const { chats, codec } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    const a = await chat(sessionId, pn(1), { last_message_at: 5_000 })
    const b = await chat(sessionId, pn(2), { last_message_at: 9_000 })
    const c = await chat(sessionId, pn(3), { last_message_at: 5_000 })
    const p1 = await chat(sessionId, pn(4), { pinned_at: 100, last_message_at: 1_000 })
    const p2 = await chat(sessionId, pn(5), { pinned_at: 200 })
    const idle = await chat(sessionId, pn(6))
    await chat(other.sessionId, pn(7), { last_message_at: 99_000 })
    const order = [p2, p1, b, c, a, idle]

    const first = await chats.page(sessionId, { limit: 4 })
    expect(first.data.map((x) => x.id)).toEqual(order.slice(0, 4))
    expect(first.nextCursor).toBe(codec.encode(`chats:${sessionId}`, [0, 5_000, c]))
    const second = await chats.page(sessionId, { limit: 4, cursor: first.nextCursor! })
    expect(second.data.map((x) => x.id)).toEqual(order.slice(4))
    expect(second.nextCursor).toBeNull()
  })

  it('serves a chat with its flags, counts and times as the API shows them', async () => {
    const { sessionId } = await d().tenant()
    const id = await chat(sessionId, pn(10), {
      name: 'Ana',
      unread_count: 3,
      archived: true,
      pinned_at: 7,
      muted_until: 8_000_000_000_000,
      last_message_at: 1_700_000_000_000,
    })
    const idle = await chat(sessionId, pn(11), { name: 'Budi' })
    const served = await d().repos.chats.get(sessionId, pn(10))
    expect(served).toEqual({
      id,
      sessionId,
      jid: pn(10),
      lid: null,
      type: 'dm',
      name: 'Ana',
      unreadCount: 3,
      archived: true,
      pinned: true,
      mutedUntil: 8_000_000_000_000,
      lastMessageAt: 1_700_000_000_000,
    })
    expect(await d().repos.chats.get(sessionId, pn(11))).toEqual({
      id: idle,
      sessionId,
      jid: pn(11),
      lid: null,
      type: 'dm',
      name: 'Budi',
      unreadCount: 0,
      archived: false,
      pinned: false,
      mutedUntil: null,
      lastMessageAt: null,
    })
  })

  it('a chat without a name shows the contact’s name, push name or business name, or the group subject', async () => {
    const { chats } = d().repos
    const { sessionId } = await d().tenant()
    const contact = (row: Record<string, unknown>) => d().insert('contacts', { session_id: sessionId, ...row })
    await contact({ jid: pn(20), name: 'Book', notify: 'Push', verified_name: 'Biz' })
    await contact({ jid: pn(21), notify: 'Push only', verified_name: 'Biz' })
    await contact({ jid: pn(22), verified_name: 'Biz only' })
    await contact({ jid: pn(23), lid: '23@lid', name: 'By LID' })
    await d().insert('groups', { session_id: sessionId, jid: '1-2@g.us', subject: 'Team' })
    for (const n of [20, 21, 22, 24]) await chat(sessionId, pn(n))
    await chat(sessionId, '23@lid')
    await chat(sessionId, '1-2@g.us', { type: 'group' })
    const names = async (jid: string) => (await chats.get(sessionId, jid))?.name
    expect(await names(pn(20))).toBe('Book')
    expect(await names(pn(21))).toBe('Push only')
    expect(await names(pn(22))).toBe('Biz only')
    expect(await names('23@lid')).toBe('By LID')
    expect(await names('1-2@g.us')).toBe('Team')
    expect(await names(pn(24))).toBeNull()
  })

  it('lid is the chat’s own LID, or the contact’s LID for a DM under the phone number, null otherwise', async () => {
    const { chats } = d().repos
    const { sessionId } = await d().tenant()
    await d().insert('contacts', { session_id: sessionId, jid: pn(30), lid: '30@lid' })
    await chat(sessionId, pn(30))
    await chat(sessionId, '31@lid')
    await chat(sessionId, pn(32))
    await chat(sessionId, '3-4@g.us', { type: 'group' })
    expect((await chats.get(sessionId, pn(30)))?.lid).toBe('30@lid')
    expect((await chats.get(sessionId, '31@lid'))?.lid).toBe('31@lid')
    expect((await chats.get(sessionId, pn(32)))?.lid).toBeNull()
    expect((await chats.get(sessionId, '3-4@g.us'))?.lid).toBeNull()
  })

  it('get and ref answer the phone-number chat by the person’s LID once the mapping is known', async () => {
    const { chats } = d().repos
    const { sessionId } = await d().tenant()
    await d().insert('contacts', { session_id: sessionId, jid: pn(40), lid: '40@lid', name: 'Citra' })
    const id = await chat(sessionId, pn(40))
    expect((await chats.get(sessionId, '40@lid'))?.id).toBe(id)
    expect(await chats.ref(sessionId, '40@lid')).toEqual({ jid: pn(40), lid: '40@lid' })
    expect(await chats.ref(sessionId, pn(40))).toEqual({ jid: pn(40), lid: '40@lid' })
    expect(await chats.has(sessionId, pn(40))).toBe(true)
    expect(await chats.has(sessionId, '40@lid')).toBe(false)
  })

  it('get, ref and has answer null/false for an unknown chat and for another session’s chat', async () => {
    const { chats } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    await chat(a.sessionId, pn(50))
    expect(await chats.get(b.sessionId, pn(50))).toBeNull()
    expect(await chats.ref(b.sessionId, pn(50))).toBeNull()
    expect(await chats.has(b.sessionId, pn(50))).toBe(false)
    expect(await chats.get(a.sessionId, pn(51))).toBeNull()
    expect(await chats.ref(a.sessionId, '51@lid')).toBeNull()
  })
})
