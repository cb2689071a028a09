// Contacts repository: the same order, cursors, PN/LID lookups and shapes on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: contacts', (name) => {
  const d = useDialect(name)
  const contact = (sessionId: string, row: Record<string, unknown>) =>
    d().insert('contacts', { session_id: sessionId, ...row })

  it('page lists the session’s contacts by id, across pages', async () => {
    const { contacts, codec } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    const ids = []
    for (let i = 0; i < 5; i++) ids.push(await contact(sessionId, { jid: `62811${i}@s.whatsapp.net` }))
    await contact(other.sessionId, { jid: '628119@s.whatsapp.net' })
    const p1 = await contacts.page(sessionId, { limit: 3 })
    expect(p1.data.map((c) => c.jid)).toEqual([0, 1, 2].map((i) => `62811${i}@s.whatsapp.net`))
    expect(p1.nextCursor).toBe(codec.encode(`contacts:${sessionId}`, [ids[2]!]))
    const p2 = await contacts.page(sessionId, { limit: 3, cursor: p1.nextCursor! })
    expect(p2.data.map((c) => c.jid)).toEqual([3, 4].map((i) => `62811${i}@s.whatsapp.net`))
    expect(p2.nextCursor).toBeNull()
  })

  it('get finds the person by phone-number JID or by LID and serves the contact as the API shows it', async () => {
    const { contacts } = d().repos
    const { sessionId } = await d().tenant()
    await contact(sessionId, {
      jid: '628222@s.whatsapp.net',
      lid: '22@lid',
      name: 'Budi',
      notify: 'B',
      verified_name: 'Budi Co',
      blocked: true,
    })
    const expected = {
      jid: '628222@s.whatsapp.net',
      lid: '22@lid',
      phone: '628222',
      name: 'Budi',
      pushName: 'B',
      businessName: 'Budi Co',
      verified: true,
      blocked: true,
    }
    expect(await contacts.get(sessionId, '628222@s.whatsapp.net')).toEqual(expected)
    expect(await contacts.get(sessionId, '22@lid')).toEqual(expected)
  })

  it('serves a person known only by LID without a phone number', async () => {
    const { sessionId } = await d().tenant()
    await contact(sessionId, { lid: '33@lid', notify: 'Cici' })
    expect(await d().repos.contacts.get(sessionId, '33@lid')).toEqual({
      jid: null,
      lid: '33@lid',
      phone: null,
      name: null,
      pushName: 'Cici',
      businessName: null,
      verified: false,
      blocked: false,
    })
  })

  it('get answers the oldest row when a JID names one person’s PN and another’s LID', async () => {
    const { sessionId } = await d().tenant()
    await contact(sessionId, { jid: '44@lid', name: 'first' })
    await contact(sessionId, { jid: '628444@s.whatsapp.net', lid: '44@lid', name: 'second' })
    expect((await d().repos.contacts.get(sessionId, '44@lid'))?.name).toBe('first')
  })

  it('get answers null for an unknown JID and for another session’s contact', async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    await contact(a.sessionId, { jid: '628555@s.whatsapp.net' })
    expect(await d().repos.contacts.get(b.sessionId, '628555@s.whatsapp.net')).toBeNull()
    expect(await d().repos.contacts.get(a.sessionId, '628556@s.whatsapp.net')).toBeNull()
  })
})
