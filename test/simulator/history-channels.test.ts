// History sync on first login, and channels (newsletters): create, follow, post delivery, mute, unfollow.
import { describe, expect, test } from 'bun:test'
import { getBinaryNodeChild, type WAMessage } from '@whiskeysockets/baileys'
import { account, api, pairByQr, world, type World } from './harness.ts'
import { simulatorLifecycle } from './lifecycle.ts'

let w: World | undefined
const clients = simulatorLifecycle()

const textOf = (m: WAMessage) => m.message?.conversation ?? m.message?.extendedTextMessage?.text

describe('simulator history sync and channels', () => {
  test('first login after pairing gets a history sync with the scripted chats and messages', async () => {
    w = await world()
    const history = {
      chats: [
        {
          jid: '15554000009@s.whatsapp.net',
          name: 'Dora',
          messages: [
            { id: 'HIST0001', text: 'old message one', timestamp: 1_700_000_000_000 },
            { id: 'HIST0002', fromMe: true, text: 'old reply', timestamp: 1_700_000_060_000 },
          ],
        },
      ],
    }
    await account(w.sim, '15554000001', { history })
    const c = await pairByQr(w.sim, '15554000001')
    clients.push(c)
    const set = await c.rec.waitFor('messaging-history.set', (h) => h.chats.length > 0 && h)
    expect(set.chats.map((ch) => ch.id)).toContain('15554000009@s.whatsapp.net')
    const byId = new Map(set.messages.map((m) => [m.key.id, m]))
    expect(textOf(byId.get('HIST0001')!)).toBe('old message one')
    expect(byId.get('HIST0002')?.key.fromMe).toBe(true)
    expect(set.contacts.find((ct) => ct.id === '15554000009@s.whatsapp.net')?.name).toBe('Dora')
  })

  test('channel: follow, receive a post, mute shows in metadata, unfollow stops delivery', async () => {
    w = await world()
    await account(w.sim, '15554000011')
    const c = await pairByQr(w.sim, '15554000011')
    clients.push(c)
    const channel = await api<{ jid: string }>(w.sim, 'POST', '/channels', { name: 'News', description: 'daily' })
    expect(channel.status).toBe(201)
    const jid = channel.body.jid
    const sentinel = (await api<{ jid: string }>(w.sim, 'POST', '/channels', { name: 'Sentinel' })).body.jid

    await c.sock.newsletterFollow(jid)
    await c.sock.newsletterFollow(sentinel)
    const view = await api<{ followers: string[]; muted: string[] }>(w.sim, 'GET', `/channels/${jid}`)
    expect(view.body.followers).toEqual(['15554000011'])

    const post = await api<{ id: string; serverId: number }>(w.sim, 'POST', `/channels/${jid}/posts`, {
      text: 'first post',
    })
    expect(post.status).toBe(201)
    const got = await c.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.remoteJid === jid))
    expect(textOf(got)).toBe('first post')
    expect(got.key.server_id).toBe(String(post.body.serverId))

    await c.sock.newsletterMute(jid)
    const muted = (await c.sock.newsletterMetadata('jid', jid)) as { viewer_metadata?: { mute?: string } } | null
    expect(muted?.viewer_metadata?.mute).toBe('ON')
    expect((await api<{ muted: string[] }>(w.sim, 'GET', `/channels/${jid}`)).body.muted).toEqual(['15554000011'])
    await c.sock.newsletterUnmute(jid)
    const unmuted = (await c.sock.newsletterMetadata('jid', jid)) as { viewer_metadata?: { mute?: string } } | null
    expect(unmuted?.viewer_metadata?.mute).toBe('OFF')

    await c.sock.newsletterUnfollow(jid)
    const hidden = await api<{ id: string }>(w.sim, 'POST', `/channels/${jid}/posts`, { text: 'after unfollow' })
    // Posts reach a device in order, so once the sentinel's later post is in, the unfollowed one would have been too.
    const mark = await api<{ id: string }>(w.sim, 'POST', `/channels/${sentinel}/posts`, { text: 'sentinel' })
    await c.rec.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === mark.body.id))
    const ids = c.rec.all('messages.upsert').flatMap((u) => u.messages.map((m) => m.key.id))
    expect(ids).not.toContain(hidden.body.id)
  })

  test('channel created by the client: metadata, message history and live updates are answered', async () => {
    w = await world()
    await account(w.sim, '15554000021')
    const c = await pairByQr(w.sim, '15554000021')
    clients.push(c)
    const created = await c.sock.newsletterCreate('Mine', 'by the client')
    expect(created.name).toBe('Mine')
    const view = await api<{ owner: string; name: string }>(w.sim, 'GET', `/channels/${created.id}`)
    expect(view.body).toMatchObject({ owner: '15554000021', name: 'Mine' })
    await api(w.sim, 'POST', `/channels/${created.id}/posts`, { text: 'p1' })
    const fetched = await c.sock.newsletterFetchMessages(created.id, 10, 0, 0)
    const updates = getBinaryNodeChild(fetched as never, 'message_updates')
    expect(updates).toBeTruthy()
    expect(await c.sock.subscribeNewsletterUpdates(created.id)).toEqual({ duration: '300' })

    // The owner posts from the client; a follower's client receives it.
    await account(w.sim, '15554000022')
    const follower = await pairByQr(w.sim, '15554000022')
    clients.push(follower)
    await follower.sock.newsletterFollow(created.id)
    await c.sock.sendMessage(created.id, { text: 'from the admin' })
    const got = await follower.rec.waitFor('messages.upsert', (u) =>
      u.messages.find((m) => m.key.remoteJid === created.id),
    )
    expect(textOf(got)).toBe('from the admin')
  })
})
