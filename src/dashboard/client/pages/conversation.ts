// A conversation: newest at the bottom, "Load older" only while the API has a next cursor, live messages and
// status changes from the event stream, and (capability send) a send box with a file attach (multipart).
import { api, ApiError, esc, onEvent } from '../api.ts'
import { field, form, h, mount } from '../dom.ts'
import type { Ctx } from '../main.ts'
import { Blobs, bubble, type Message } from '../message.ts'
import type { PageOf } from './chats.ts'

export function conversation(ctx: Ctx, sid: string, jid: string) {
  const err = h('p', { class: 'error', role: 'alert' })
  const title = h('h1', {}, jid)
  const log = h('ol', { class: 'conversation', id: 'messages', 'aria-live': 'polite' })
  const older = h('button', { type: 'button', hidden: true, id: 'load-older' }, 'Load older')
  const blobs = new Blobs()
  const seen = new Set<string>()
  const path = `/sessions/${esc(sid)}`
  let cursor: string | null = null

  const show = (m: Message, where: 'top' | 'bottom') => {
    const el = bubble(m, blobs)
    const old = seen.has(m.id) ? log.querySelector(`[data-id="${CSS.escape(m.id)}"]`) : null
    if (old) return old.replaceWith(el)
    seen.add(m.id)
    ctx.main.querySelector('#no-messages')?.remove()
    if (where === 'top') log.prepend(el)
    else (log.append(el), el.scrollIntoView({ block: 'nearest' }))
  }
  const load = async () => {
    const q = cursor ? `&cursor=${esc(cursor)}` : ''
    const p = await api.get<PageOf<Message>>(`${path}/chats/${esc(jid)}/messages?limit=50${q}`)
    // Newest first from the API; shown oldest at the top, newest at the bottom.
    for (const m of p.data) if (!seen.has(m.id)) show(m, 'top')
    cursor = p.nextCursor
    older.hidden = !cursor
  }
  older.onclick = () => load().catch((e: Error) => (err.textContent = e.message))

  mount(
    ctx.main,
    title,
    h('p', {}, h('a', { href: `#/chats/${esc(sid)}` }, '← all chats')),
    err,
    older,
    log,
    ctx.can('send') ? sendBox(path, jid, (m) => show(m, 'bottom')) : null,
  )
  api
    .get<{ name: string | null }>(`${path}/chats/${esc(jid)}`)
    .then((c) => c.name && mount(title, c.name, h('span', { class: 'muted' }, ` ${jid}`)))
    .catch(() => {}) // a chat not stored yet keeps its JID as the title
  load()
    .then(() => log.lastElementChild?.scrollIntoView({ block: 'nearest' }))
    .catch((e: Error) => {
      // A chat not stored yet (nobody wrote) is empty, not an error: its first message appears live.
      if (e instanceof ApiError && e.code === 'not_found')
        log.before(h('p', { class: 'muted', id: 'no-messages' }, 'No stored messages yet.'))
      else err.textContent = e.message
    })
  const updates = ['message.status', 'message.media', 'message.edited', 'message.deleted']
  const off = onEvent((e) => {
    if (e.sessionId !== sid) return
    // A vote carries the poll's message with its new tally.
    const m = (e.type === 'poll.vote' ? e.data?.message : e.data) as Message | undefined
    if (m?.chatJid !== jid) return
    if (e.type === 'message.received' || e.type === 'message.sent') show(m, 'bottom')
    else if ((updates.includes(e.type) || e.type === 'poll.vote') && seen.has(m.id)) show(m, 'bottom')
  })
  return () => {
    off()
    blobs.revoke()
  }
}

function sendBox(path: string, to: string, sent: (m: Message) => void) {
  const text = h('textarea', { name: 'text', rows: '2', id: 'send-text' })
  const file = h('input', { type: 'file', name: 'file', id: 'attach' })
  const chosen = h('span', { class: 'muted', id: 'attach-name', 'aria-live': 'polite' })
  file.onchange = () => {
    const f = file.files?.[0]
    chosen.textContent = f ? `${f.name} (${f.type || 'unknown type'}); the message is its caption` : ''
  }
  return form(
    { class: 'send', 'aria-label': 'Send a message' },
    async (_data, f) => {
      const words = text.value
      const attached = file.files?.[0]
      let m: Message
      if (attached) {
        const body = new FormData()
        body.set('to', to)
        body.set('file', attached, attached.name)
        if (words.trim()) body.set('caption', words)
        m = await api.post<Message>(`${path}/messages`, body)
      } else if (words.trim()) m = await api.post<Message>(`${path}/messages`, { to, text: words })
      else throw new Error('Type a message or attach a file.')
      f.reset()
      chosen.textContent = ''
      sent(m)
    },
    field('Message', text),
    h('div', { class: 'inline' }, field('Attach a file', file), h('button', { type: 'submit' }, 'Send')),
    chosen,
  )
}
