// Chats: the stored chats of a session (load more on the cursor); a chat opens its conversation.
import { api, esc, onEvent } from '../api.ts'
import { h, mount, time } from '../dom.ts'
import type { Ctx, Page } from '../main.ts'
import { conversation } from './conversation.ts'
import { pickSession } from './pick.ts'

type Chat = { jid: string; name: string | null; lastMessageAt: number | null; unreadCount: number }
export type PageOf<T> = { data: T[]; nextCursor: string | null }

export const chatsPage: Page = (ctx, [sid, jid]) => {
  if (!sid) return pickSession(ctx, 'Chats', 'chats')
  return jid ? conversation(ctx, sid, jid) : chatList(ctx, sid)
}

function chatList(ctx: Ctx, sid: string) {
  const err = h('p', { class: 'error', role: 'alert' })
  const list = h('ul', { class: 'plain', id: 'chats' })
  const more = h('button', { type: 'button', hidden: true }, 'Load more')
  let cursor: string | null = null
  const item = (jid: string, name: string | null, at: number | null, unread = 0) =>
    h(
      'li',
      { 'data-chat': jid },
      h('a', { href: `#/chats/${esc(sid)}/${esc(jid)}` }, name ?? jid),
      name ? h('span', { class: 'muted' }, ` ${jid}`) : null,
      h('span', { class: 'muted' }, ` · ${time(at)}`),
      unread > 0 ? h('span', { class: 'badge', title: 'unread' }, ` ${unread}`) : null,
    )
  const load = async () => {
    const q = cursor ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Chat>>(`/sessions/${esc(sid)}/chats?limit=50${q}`)
    list.append(...p.data.map((c) => item(c.jid, c.name, c.lastMessageAt, c.unreadCount)))
    if (!list.children.length) list.append(h('li', { class: 'muted', id: 'no-chats' }, 'No chats yet.'))
    cursor = p.nextCursor
    more.hidden = !cursor
  }
  more.onclick = () => load().catch((e: Error) => (err.textContent = e.message))
  mount(ctx.main, h('h1', {}, 'Chats'), h('p', { class: 'muted' }, `Session ${sid}`), err, list, more)
  load().catch((e: Error) => (err.textContent = e.message))
  return onEvent((e) => {
    if (e.sessionId !== sid || (e.type !== 'message.received' && e.type !== 'message.sent')) return
    const jid = String(e.data.chatJid)
    if (jid.endsWith('@newsletter')) return
    list.querySelector('#no-chats')?.remove()
    const old = [...list.children].find((li) => (li as HTMLElement).dataset.chat === jid)
    // A chat with a new message moves to the top.
    list.prepend(old ?? item(jid, null, e.data.timestamp ?? e.createdAt))
  })
}
