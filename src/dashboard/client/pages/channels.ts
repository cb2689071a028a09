// Channels (newsletters): the stored copy of the channels a session follows or owns (load more on the cursor),
// follow by JID, unfollow, mute, create; and a channel's posts, newest first, "Load more" on the cursor, live.
// Following, creating and reading posts need the send capability (as the API does): a read key sees the list only.
import { api, esc, onEvent } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Ctx, Page } from '../main.ts'
import { Blobs, bubble, type Message } from '../message.ts'
import type { PageOf } from './chats.ts'
import { pickSession } from './pick.ts'

type Channel = {
  jid: string
  name: string | null
  description: string | null
  role: string | null
  following: boolean
  muted: boolean
  subscribers: number | null
  lastPostAt: number | null
}

export const channelsPage: Page = (ctx, [sid, jid]) => {
  if (!sid) return pickSession(ctx, 'Channels', 'channels')
  return jid ? posts(ctx, sid, jid) : channelList(ctx, sid)
}

function channelList(ctx: Ctx, sid: string) {
  const err = h('p', { class: 'error', role: 'alert' })
  const notice = h('div', { 'aria-live': 'polite' })
  const list = h('div', { class: 'cards', id: 'channels' })
  const more = h('button', { type: 'button', hidden: true }, 'Load more')
  const base = `/sessions/${esc(sid)}/channels`
  const send = ctx.can('send')
  let cursor: string | null = null

  const verb = (c: Channel, v: string, body?: unknown) => async () => {
    err.textContent = ''
    try {
      await api.post(`${base}/${esc(c.jid)}:${v}`, body)
      await reload()
    } catch (e) {
      err.textContent = `${c.name ?? c.jid}: ${(e as Error).message}`
    }
  }
  const card = (c: Channel) =>
    h(
      'article',
      { class: 'card', 'data-channel': c.jid },
      h('h2', {}, c.name ?? c.jid),
      c.description ? h('p', {}, c.description) : null,
      h(
        'p',
        { class: 'muted' },
        [
          c.role ?? 'no role',
          c.following ? 'following' : 'not following',
          c.muted ? 'muted' : '',
          c.subscribers === null ? '' : `${c.subscribers} subscribers`,
          `last post ${time(c.lastPostAt)}`,
        ]
          .filter(Boolean)
          .join(' · '),
      ),
      h('p', { class: 'muted' }, c.jid),
      send
        ? h(
            'div',
            { class: 'actions' },
            h('a', { href: `#/channels/${esc(sid)}/${esc(c.jid)}`, class: 'button' }, 'Posts'),
            c.role === 'owner'
              ? null
              : c.following
                ? h('button', { type: 'button', onclick: verb(c, 'unfollow') }, 'Unfollow')
                : h('button', { type: 'button', onclick: verb(c, 'follow') }, 'Follow'),
            h('button', { type: 'button', onclick: verb(c, 'mute', { mute: !c.muted }) }, c.muted ? 'Unmute' : 'Mute'),
          )
        : null,
    )
  // A reload replaces the list in the same step the page arrives, so overlapping reloads never show a card twice.
  const load = async (fresh = false) => {
    const q = cursor && !fresh ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Channel>>(`${base}?limit=50${q}`)
    if (fresh) list.replaceChildren()
    list.append(...p.data.map(card))
    if (!list.children.length) list.append(h('p', { class: 'muted' }, 'No channels yet.'))
    cursor = p.nextCursor
    more.hidden = !cursor
  }
  const reload = () => load(true)
  more.onclick = () => load().catch((e: Error) => (err.textContent = e.message))

  const follow = form(
    { class: 'inline', 'aria-label': 'Follow a channel' },
    async (data, f) => {
      await api.post(`${base}/${esc(String(data.get('jid')).trim())}:follow`)
      f.reset()
      await reload()
    },
    field(
      'Channel JID',
      h('input', {
        name: 'jid',
        required: true,
        placeholder: '120363…@newsletter',
        pattern: '\\s*[0-9]+@newsletter\\s*',
      }),
    ),
    h('button', { type: 'submit' }, 'Follow'),
  )
  const create = form(
    { class: 'inline', 'aria-label': 'Create a channel' },
    async (data, f) => {
      const c = await api.post<{ jid: string }>(base, { name: String(data.get('name')) })
      f.reset()
      mount(notice, h('p', { class: 'notice' }, `Created ${c.jid}.`))
      await reload()
    },
    field('New channel name', h('input', { name: 'name', required: true, maxlength: '100' })),
    h('button', { type: 'submit' }, 'Create channel'),
  )
  mount(
    ctx.main,
    h('h1', {}, 'Channels'),
    h('p', { class: 'muted' }, `Session ${sid}`),
    send
      ? [follow, create]
      : h('p', { class: 'muted' }, 'Reading posts and following need the send capability; this key can list only.'),
    notice,
    err,
    list,
    more,
  )
  reload().catch((e: Error) => (err.textContent = e.message))
  return onEvent((e) => {
    if (e.sessionId === sid && e.type === 'channel.updated') reload().catch((x: Error) => (err.textContent = x.message))
  })
}

function posts(ctx: Ctx, sid: string, jid: string) {
  const err = h('p', { class: 'error', role: 'alert' })
  const title = h('h1', {}, jid)
  const feed = h('ol', { class: 'conversation feed', id: 'posts', 'aria-live': 'polite' })
  const more = h('button', { type: 'button', hidden: true, id: 'posts-more' }, 'Load more')
  const blobs = new Blobs()
  const seen = new Set<string>()
  const base = `/sessions/${esc(sid)}/channels/${esc(jid)}`
  let cursor: string | null = null
  const load = async () => {
    const q = cursor ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Message>>(`${base}/messages?limit=20${q}`)
    for (const m of p.data) if (!seen.has(m.id)) (seen.add(m.id), feed.append(bubble(m, blobs)))
    if (!feed.children.length) feed.append(h('li', { class: 'muted', id: 'no-posts' }, 'No posts stored yet.'))
    cursor = p.nextCursor
    more.hidden = !cursor
  }
  more.onclick = () => load().catch((e: Error) => (err.textContent = e.message))
  mount(
    ctx.main,
    title,
    h('p', {}, h('a', { href: `#/channels/${esc(sid)}` }, '← all channels')),
    h('p', { class: 'muted' }, 'Posts stored by the gateway since the session followed the channel, newest first.'),
    err,
    feed,
    more,
  )
  api
    .get<Channel>(base)
    .then((c) => c.name && mount(title, c.name, h('span', { class: 'muted' }, ` ${jid}`)))
    .catch((e: Error) => (err.textContent = e.message))
  load().catch((e: Error) => (err.textContent = e.message))
  const off = onEvent((e) => {
    if (e.sessionId !== sid || e.data?.chatJid !== jid) return
    const m = e.data as Message
    if (e.type === 'channel.post' && !seen.has(m.id)) {
      seen.add(m.id)
      feed.querySelector('#no-posts')?.remove()
      feed.prepend(bubble(m, blobs))
    } else if (seen.has(m.id) && e.type === 'message.media')
      feed.querySelector(`[data-id="${CSS.escape(m.id)}"]`)?.replaceWith(bubble(m, blobs))
  })
  return () => {
    off()
    blobs.revoke()
  }
}
