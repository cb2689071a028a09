// Channels repository: the same order, cursors and shapes on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: channels', (name) => {
  const d = useDialect(name)
  const channel = (sessionId: string, jid: string, extra: Record<string, unknown> = {}) =>
    d().insert('channels', { session_id: sessionId, jid, ...extra })

  it('page lists the session’s channels oldest known first, across pages', async () => {
    const { channels, codec } = d().repos
    const { sessionId } = await d().tenant()
    const other = await d().tenant()
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await channel(sessionId, `${i}@newsletter`))
    await channel(other.sessionId, '9@newsletter')
    const p1 = await channels.page(sessionId, { limit: 2 })
    expect(p1.data.map((c) => c.id)).toEqual(ids.slice(0, 2))
    expect(p1.nextCursor).toBe(codec.encode(`channels:${sessionId}`, [ids[1]!]))
    const p2 = await channels.page(sessionId, { limit: 2, cursor: p1.nextCursor! })
    expect(p2).toEqual({ data: [(await channels.get(sessionId, '2@newsletter'))!], nextCursor: null })
  })

  it('serves a channel with its flags and counts as the API shows them', async () => {
    const { sessionId } = await d().tenant()
    const full = await channel(sessionId, '1@newsletter', {
      name: 'News',
      description: 'Daily',
      role: 'SUBSCRIBER',
      following: true,
      muted: true,
      subscribers: 12_345_678_901,
      last_post_at: 1_700_000_000_000,
    })
    const bare = await channel(sessionId, '2@newsletter')
    expect(await d().repos.channels.get(sessionId, '1@newsletter')).toEqual({
      id: full,
      sessionId,
      jid: '1@newsletter',
      name: 'News',
      description: 'Daily',
      role: 'SUBSCRIBER',
      following: true,
      muted: true,
      subscribers: 12_345_678_901,
      lastPostAt: 1_700_000_000_000,
    })
    expect(await d().repos.channels.get(sessionId, '2@newsletter')).toEqual({
      id: bare,
      sessionId,
      jid: '2@newsletter',
      name: null,
      description: null,
      role: null,
      following: false,
      muted: false,
      subscribers: null,
      lastPostAt: null,
    })
  })

  it('get answers null for an unknown channel and for another session’s channel', async () => {
    const a = await d().tenant()
    const b = await d().tenant()
    await channel(a.sessionId, '5@newsletter')
    expect(await d().repos.channels.get(b.sessionId, '5@newsletter')).toBeNull()
    expect(await d().repos.channels.get(a.sessionId, '6@newsletter')).toBeNull()
  })
})
