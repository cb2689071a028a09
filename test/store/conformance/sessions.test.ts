// Sessions repository: the same answers, order and cursors on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: sessions', (name) => {
  const d = useDialect(name)

  it('create answers a stopped session with its metadata and the creation time in every time field', async () => {
    const { orgId } = await d().tenant()
    const s = await d().repos.sessions.create({ orgId, name: 'support', metadata: { team: 'a', n: 1 } })
    expect(s).toEqual({
      id: s.id,
      orgId,
      name: 'support',
      metadata: { team: 'a', n: 1 },
      status: 'stopped',
      desiredState: 'stopped',
      lastError: null,
      phone: null,
      jid: null,
      lid: null,
      pushName: null,
      createdAt: s.createdAt,
      updatedAt: s.createdAt,
      statusChangedAt: s.createdAt,
      connectedAt: null,
    })
    expect(typeof s.createdAt).toBe('number')
  })

  it('get answers the session to its organisation and null to another', async () => {
    const { sessions } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    const s = await sessions.get(a.orgId, a.sessionId)
    expect(s?.id).toBe(a.sessionId)
    expect(await sessions.get(b.orgId, a.sessionId)).toBeNull()
    expect(await sessions.byId(a.sessionId)).toEqual(s)
    expect(await sessions.byId('ses_nobody')).toBeNull()
  })

  it('owns is true for the organisation’s session, false for another’s, and false once the session is deleted', async () => {
    const { sessions, authEpoch } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    await authEpoch.refresh()
    expect(await sessions.owns(a.orgId, a.sessionId)).toBe(true)
    expect(await sessions.owns(b.orgId, a.sessionId)).toBe(false)
    expect(await sessions.delete(a.orgId, a.sessionId)).toBe(true)
    await authEpoch.refresh()
    expect(await sessions.owns(a.orgId, a.sessionId)).toBe(false)
  })

  it('page lists the organisation’s sessions newest first across pages', async () => {
    const { sessions, codec } = d().repos
    const { orgId, sessionId } = await d().tenant()
    const ids = [sessionId]
    for (let i = 0; i < 4; i++) ids.push((await sessions.create({ orgId, name: `s${i}` })).id)
    await d().tenant()
    ids.sort().reverse()
    const p1 = await sessions.page(orgId, { limit: 3 })
    expect(p1.data.map((s) => s.id)).toEqual(ids.slice(0, 3))
    expect(p1.nextCursor).toBe(codec.encode(`sessions:${orgId}`, [ids[2]!]))
    const p2 = await sessions.page(orgId, { limit: 3, cursor: p1.nextCursor! })
    expect(p2.data.map((s) => s.id)).toEqual(ids.slice(3))
    expect(p2.nextCursor).toBeNull()
  })

  it('update changes the name and metadata given and leaves the rest', async () => {
    const { sessions } = d().repos
    const { orgId, sessionId } = await d().tenant()
    const before = (await sessions.get(orgId, sessionId))!
    await Bun.sleep(2)
    const renamed = await sessions.update(orgId, sessionId, { name: 'renamed' })
    expect(renamed).toEqual({ ...before, name: 'renamed', updatedAt: renamed!.updatedAt })
    expect(renamed!.updatedAt).toBeGreaterThan(before.updatedAt)
    const tagged = await sessions.update(orgId, sessionId, { metadata: { k: ['v'] } })
    expect(tagged).toEqual({ ...renamed!, metadata: { k: ['v'] }, updatedAt: tagged!.updatedAt })
  })

  it('update answers null for another organisation’s session and leaves it alone', async () => {
    const { sessions } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    expect(await sessions.update(b.orgId, a.sessionId, { name: 'stolen' })).toBeNull()
    expect((await sessions.get(a.orgId, a.sessionId))?.name).toBe('main')
  })

  it('delete removes the session and its stored copy; another organisation cannot delete it', async () => {
    const { sessions } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    const chat = { session_id: a.sessionId, jid: '1@s.whatsapp.net', type: 'dm' }
    await d().insert('chats', chat)
    await d().insert(
      'messages',
      {
        session_id: a.sessionId,
        chat_jid: chat.jid,
        wa_id: 'W1',
        from_me: false,
        type: 'text',
        status: 'delivered',
        timestamp: 1,
      },
      'pk',
    )
    expect(await sessions.delete(b.orgId, a.sessionId)).toBe(false)
    expect(await sessions.delete(a.orgId, a.sessionId)).toBe(true)
    expect(await sessions.delete(a.orgId, a.sessionId)).toBe(false)
    expect(await sessions.byId(a.sessionId)).toBeNull()
    expect(await d().scalar('SELECT count(*) FROM chats WHERE session_id = ?', a.sessionId)).toBe(0)
    expect(await d().scalar('SELECT count(*) FROM messages WHERE session_id = ?', a.sessionId)).toBe(0)
  })

  it('setLive applies the live fields, moves statusChangedAt only with the status, and answers null once deleted', async () => {
    const { sessions } = d().repos
    const { orgId, sessionId } = await d().tenant()
    const s0 = (await sessions.byId(sessionId))!
    const s1 = await sessions.setLive(sessionId, { status: 'starting', desiredState: 'running' }, 5_000)
    expect(s1).toEqual({
      ...s0,
      status: 'starting',
      desiredState: 'running',
      updatedAt: 5_000,
      statusChangedAt: 5_000,
    })
    const s2 = await sessions.setLive(
      sessionId,
      { phone: '628', jid: '628@s.whatsapp.net', lid: '9@lid', pushName: 'Me', connectedAt: 6_000, lastError: null },
      6_000,
    )
    expect(s2).toEqual({
      ...s1!,
      phone: '628',
      jid: '628@s.whatsapp.net',
      lid: '9@lid',
      pushName: 'Me',
      connectedAt: 6_000,
      updatedAt: 6_000,
    })
    await sessions.delete(orgId, sessionId)
    expect(await sessions.setLive(sessionId, { status: 'stopped' })).toBeNull()
  })

  it('running lists the sessions to restore in creation order', async () => {
    const { sessions } = d().repos
    const { orgId } = await d().tenant()
    const made = []
    for (let i = 0; i < 3; i++) {
      made.push((await sessions.create({ orgId, name: `r${i}` })).id)
      await Bun.sleep(2)
    }
    for (const id of [made[2]!, made[0]!]) await sessions.setLive(id, { desiredState: 'running' })
    expect(await sessions.running()).toEqual([made[0]!, made[2]!])
  })
})
