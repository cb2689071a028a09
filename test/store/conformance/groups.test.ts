// Groups repository: the same order, cursors, members and shapes on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: groups', (name) => {
  const d = useDialect(name)
  const group = (sessionId: string, jid: string, extra: Record<string, unknown> = {}) =>
    d().insert('groups', { session_id: sessionId, jid, ...extra })
  let stored = 0
  /** A member stored after the previous ones (as the ingest does: one past the group's last position). */
  const member = (sessionId: string, groupJid: string, jid: string, extra: Record<string, unknown> = {}) =>
    d().insert(
      'group_participants',
      { session_id: sessionId, group_jid: groupJid, jid, position: ++stored, ...extra },
      null,
    )

  it('serves a group with its settings and members in the order they were stored, ids filled from contacts', async () => {
    const { sessionId } = await d().tenant()
    const id = await group(sessionId, '1-1@g.us', {
      subject: 'Team',
      description: 'Work',
      description_id: 'D1',
      owner: '9@lid',
      owner_pn: '628999@s.whatsapp.net',
      wa_created_at: 1_600_000_000,
      announce: true,
      locked: true,
      ephemeral_seconds: 86_400,
      addressing_mode: 'lid',
      synced_at: 1_700_000_000_000,
    })
    await d().insert('contacts', { session_id: sessionId, jid: '628222@s.whatsapp.net', lid: '22@lid' })
    await member(sessionId, '1-1@g.us', '9@lid', { pn: '628999@s.whatsapp.net', admin: 'superadmin' })
    await member(sessionId, '1-1@g.us', '628222@s.whatsapp.net')
    await member(sessionId, '1-1@g.us', '11@lid', { admin: 'admin' })
    await member(sessionId, '2-2@g.us', '628333@s.whatsapp.net')
    expect(await d().repos.groups.get(sessionId, '1-1@g.us')).toEqual({
      id,
      sessionId,
      jid: '1-1@g.us',
      subject: 'Team',
      description: 'Work',
      owner: '628999@s.whatsapp.net',
      createdAt: 1_600_000_000,
      announce: true,
      locked: true,
      ephemeralSeconds: 86_400,
      size: 3,
      participants: [
        { jid: '9@lid', lid: '9@lid', phone: '628999', admin: 'superadmin' },
        { jid: '628222@s.whatsapp.net', lid: '22@lid', phone: '628222', admin: null },
        { jid: '11@lid', lid: '11@lid', phone: null, admin: 'admin' },
      ],
    })
  })

  it('page lists the session’s groups by id with their members, across pages', async () => {
    const { groups, codec } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    const ids = []
    for (let i = 0; i < 3; i++) {
      ids.push(await group(sessionId, `${i}-0@g.us`, { subject: `G${i}` }))
      for (let m = 0; m <= i; m++) await member(sessionId, `${i}-0@g.us`, `62810${m}@s.whatsapp.net`)
    }
    await group(other.sessionId, '9-0@g.us')
    const p1 = await groups.page(sessionId, { limit: 2 })
    expect(p1.data.map((g) => [g.id, g.subject, g.size])).toEqual([
      [ids[0]!, 'G0', 1],
      [ids[1]!, 'G1', 2],
    ])
    expect(p1.data[1]!.participants.map((p) => p.jid)).toEqual(['628100@s.whatsapp.net', '628101@s.whatsapp.net'])
    expect(p1.nextCursor).toBe(codec.encode(`groups:${sessionId}`, [ids[1]!]))
    const p2 = await groups.page(sessionId, { limit: 2, cursor: p1.nextCursor! })
    expect(p2).toEqual({ data: [(await groups.get(sessionId, '2-0@g.us'))!], nextCursor: null })
    expect(p2.data[0]!.size).toBe(3)
  })

  it('lists members by their stored position, whatever the order their rows were written or rewritten in', async () => {
    const { sessionId } = await d().tenant()
    await group(sessionId, '3-3@g.us')
    await member(sessionId, '3-3@g.us', 'c@s.whatsapp.net', { position: 3 })
    await member(sessionId, '3-3@g.us', 'a@s.whatsapp.net', { position: 1 })
    await member(sessionId, '3-3@g.us', 'b@s.whatsapp.net', { position: 2 })
    await d().exec("UPDATE group_participants SET admin = 'admin' WHERE jid = ?", 'a@s.whatsapp.net')
    const got = await d().repos.groups.get(sessionId, '3-3@g.us')
    expect(got!.participants.map((p) => p.jid)).toEqual(['a@s.whatsapp.net', 'b@s.whatsapp.net', 'c@s.whatsapp.net'])
  })

  it('serves a group without members or settings with their defaults', async () => {
    const { sessionId } = await d().tenant()
    const id = await group(sessionId, '5-5@g.us')
    expect(await d().repos.groups.get(sessionId, '5-5@g.us')).toEqual({
      id,
      sessionId,
      jid: '5-5@g.us',
      subject: null,
      description: null,
      owner: null,
      createdAt: null,
      announce: false,
      locked: false,
      ephemeralSeconds: 0,
      size: 0,
      participants: [],
    })
  })

  it('get answers null for an unknown group and for another session’s group', async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    await group(a.sessionId, '7-7@g.us')
    expect(await d().repos.groups.get(b.sessionId, '7-7@g.us')).toBeNull()
    expect(await d().repos.groups.get(a.sessionId, '8-8@g.us')).toBeNull()
  })
})
