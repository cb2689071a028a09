// Chats: the stored chats of a session (load more on the cursor), a conversation newest-at-bottom, a send box.
import { api, esc, onEvent } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'

type Chat = { jid: string; name: string | null; lastMessageAt: number | null; unreadCount: number }
type Message = {
  id: string
  chatJid: string
  fromMe: boolean
  senderName: string | null
  type: string
  body: string | null
  timestamp?: number
  createdAt?: number
  status: string
}
type PageOf<T> = { data: T[]; nextCursor: string | null }

export const chatsPage: Page = (ctx, [sid, jid]) => {
  const err = h('p', { class: 'error', role: 'alert' })
  if (!sid) {
    const list = h('ul', { class: 'plain' })
    mount(ctx.main, h('h1', {}, 'Chats'), h('p', {}, 'Pick a session:'), err, list)
    api
      .get<PageOf<{ id: string; name: string; status: string }>>('/sessions?limit=200')
      .then((p) =>
        list.append(
          ...p.data.map((s) => h('li', {}, h('a', { href: `#/chats/${esc(s.id)}` }, `${s.name} (${s.status})`))),
        ),
      )
      .catch((e: Error) => (err.textContent = e.message))
    return
  }
  return jid ? conversation(ctx, sid, jid, err) : chatList(ctx, sid, err)
}

function chatList(ctx: Parameters<Page>[0], sid: string, err: HTMLElement) {
  const list = h('ul', { class: 'plain', id: 'chats' })
  const more = h('button', { type: 'button', hidden: true }, 'Load more')
  let cursor: string | null = null
  const load = async () => {
    const q = cursor ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Chat>>(`/sessions/${esc(sid)}/chats?limit=50${q}`)
    list.append(
      ...p.data.map((c) =>
        h(
          'li',
          {},
          h('a', { href: `#/chats/${esc(sid)}/${esc(c.jid)}` }, c.name ?? c.jid),
          h('span', { class: 'muted' }, ` ${time(c.lastMessageAt)}`),
        ),
      ),
    )
    cursor = p.nextCursor
    more.hidden = !cursor
  }
  more.onclick = () => load().catch((e: Error) => (err.textContent = e.message))
  mount(ctx.main, h('h1', {}, 'Chats'), h('p', { class: 'muted' }, `Session ${sid}`), err, list, more)
  load().catch((e: Error) => (err.textContent = e.message))
  return onEvent((e) => {
    if (
      e.sessionId === sid &&
      (e.type === 'message.received' || e.type === 'message.sent') &&
      !list.querySelector(`[href$="/${CSS.escape(esc(e.data.chatJid))}"]`)
    )
      list.prepend(h('li', {}, h('a', { href: `#/chats/${esc(sid)}/${esc(e.data.chatJid)}` }, e.data.chatJid)))
  })
}

function conversation(ctx: Parameters<Page>[0], sid: string, jid: string, err: HTMLElement) {
  const log = h('ol', { class: 'conversation', id: 'messages', 'aria-live': 'polite' })
  const older = h('button', { type: 'button', hidden: true }, 'Load older')
  const seen = new Set<string>()
  let cursor: string | null = null
  const bubble = (m: Message) =>
    h(
      'li',
      { class: m.fromMe ? 'out' : 'in', 'data-id': m.id },
      h('p', {}, m.body ?? `[${m.type}]`),
      h(
        'small',
        { class: 'muted' },
        `${m.fromMe ? 'me' : (m.senderName ?? '')} · ${time(m.timestamp ?? m.createdAt ?? null)} · ${m.status}`,
      ),
    )
  const load = async () => {
    const q = cursor ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Message>>(`/sessions/${esc(sid)}/chats/${esc(jid)}/messages?limit=50${q}`)
    // Newest first from the API; shown oldest at the top, newest at the bottom.
    for (const m of p.data) if (!seen.has(m.id)) (seen.add(m.id), log.prepend(bubble(m)))
    cursor = p.nextCursor
    older.hidden = !cursor
  }
  older.onclick = () => load().catch((e: Error) => (err.textContent = e.message))
  const sendBox = ctx.can('send')
    ? form(
        { class: 'send', 'aria-label': 'Send a message' },
        async (data, f) => {
          const m = await api.post<Message>(`/sessions/${esc(sid)}/messages`, {
            to: jid,
            text: String(data.get('text')),
          })
          f.reset()
          if (!seen.has(m.id)) (seen.add(m.id), log.append(bubble(m)))
          log.lastElementChild?.scrollIntoView()
        },
        field('Message', h('textarea', { name: 'text', required: true, rows: '2' })),
        h('button', { type: 'submit' }, 'Send'),
      )
    : null
  mount(
    ctx.main,
    h('h1', {}, jid),
    h('p', {}, h('a', { href: `#/chats/${esc(sid)}` }, '← all chats')),
    err,
    older,
    log,
    sendBox,
  )
  load()
    .then(() => log.lastElementChild?.scrollIntoView())
    .catch((e: Error) => (err.textContent = e.message))
  return onEvent((e) => {
    if (e.sessionId !== sid || e.data?.chatJid !== jid) return
    const m = e.data as Message
    if (e.type === 'message.received' || e.type === 'message.sent') {
      if (seen.has(m.id)) return
      seen.add(m.id)
      log.append(bubble(m))
      log.lastElementChild?.scrollIntoView()
    } else if (e.type === 'message.status') log.querySelector(`[data-id="${CSS.escape(m.id)}"]`)?.replaceWith(bubble(m))
  })
}
