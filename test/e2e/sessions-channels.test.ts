import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551250001'
const BOB = '15551250002'
let h: Harness
let sid: string

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
})
afterAll(() => h.close())

const channelRow = (jid: string) =>
  h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM channels WHERE session_id = ? AND jid = ?')
    .get(sid, jid)
const posts = (jid: string) =>
  h.db.sqlite
    .query<Record<string, any>, [string, string]>('SELECT * FROM messages WHERE session_id = ? AND chat_jid = ?')
    .all(sid, jid)

it('creates a channel on WhatsApp and stores it as owned and followed', async () => {
  const { jid } = await h.supervisor.createChannel(sid, { name: 'Gateway news', description: 'About us' })
  expect(jid).toEndWith('@newsletter')
  const sim = (await h.control('GET', `/channels/${jid}`)).body
  expect(sim.name).toBe('Gateway news')
  expect(channelRow(jid)).toMatchObject({ name: 'Gateway news', description: 'About us', role: 'owner', following: 1 })
  expect(h.eventsOf('channel.updated').some((e) => e.data.jid === jid)).toBe(true)
})

it('follows a channel, stores its posts once, mutes it, and stops receiving after unfollow', async () => {
  const { jid } = (await h.control('POST', '/channels', { name: 'Daily', owner: BOB })).body
  await h.supervisor.followChannel(sid, jid)
  expect((await h.control('GET', `/channels/${jid}`)).body.followers).toContain(ME)
  expect(channelRow(jid)).toMatchObject({ following: 1, name: 'Daily' })

  const post = (await h.control('POST', `/channels/${jid}/posts`, { text: 'first post' })).body
  const row = await waitFor('the post', () => posts(jid)[0])
  expect(row).toMatchObject({ body: 'first post', server_id: post.serverId, from_me: 0 })
  expect(h.eventsOf('channel.post').filter((e) => e.data.chatJid === jid)).toHaveLength(1)
  expect(channelRow(jid)!.last_post_at).toBe(row.timestamp)

  await h.supervisor.muteChannel(sid, jid, true)
  await h.supervisor.muteChannel(sid, jid, true) // sets, does not toggle
  expect((await h.control('GET', `/channels/${jid}`)).body.muted).toContain(ME)
  expect(channelRow(jid)!.muted).toBe(1)

  await h.supervisor.unfollowChannel(sid, jid)
  expect((await h.control('GET', `/channels/${jid}`)).body.followers).not.toContain(ME)
  expect(channelRow(jid)!.following).toBe(0)
  await h.control('POST', `/channels/${jid}/posts`, { text: 'after unfollow' })
  // A direct message sent after the post arrives after it would have: then the post must not be there.
  const marker = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text: 'marker' })).body
  await waitFor('the marker', () =>
    h.db.sqlite.query('SELECT 1 FROM messages WHERE session_id = ? AND wa_id = ?').get(sid, marker.id),
  )
  expect(posts(jid)).toHaveLength(1)
})
