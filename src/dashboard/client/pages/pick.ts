// The first step of the per-session pages (Chats, Channels): pick one of the organisation's sessions.
import { api, esc } from '../api.ts'
import { h, mount } from '../dom.ts'
import type { Ctx } from '../main.ts'

export function pickSession(ctx: Ctx, title: string, page: string) {
  const err = h('p', { class: 'error', role: 'alert' })
  const list = h('ul', { class: 'plain', id: 'pick-session' })
  mount(ctx.main, h('h1', {}, title), h('p', {}, 'Pick a session:'), err, list)
  api
    .get<{ data: { id: string; name: string; status: string }[] }>('/sessions?limit=200')
    .then((p) =>
      list.replaceChildren(
        ...(p.data.length
          ? p.data.map((s) => h('li', {}, h('a', { href: `#/${page}/${esc(s.id)}` }, `${s.name} (${s.status})`)))
          : [h('li', { class: 'muted' }, 'No sessions yet.')]),
      ),
    )
    .catch((e: Error) => (err.textContent = e.message))
}
