// Sessions: the list with live status (session.status events), create, and the lifecycle methods.
import { api, esc, onEvent } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'

type Session = {
  id: string
  name: string
  status: string
  phone: string | null
  lastError: string | null
  statusChangedAt: number
}

const idle = new Set(['stopped', 'logged_out', 'failed'])

export const sessionsPage: Page = (ctx) => {
  const list = h('div', { class: 'cards', id: 'sessions' })
  const err = h('p', { class: 'error', role: 'alert' })
  const rows = new Map<string, HTMLElement>()

  const act = async (s: Session, verb: string, confirmText?: string) => {
    if (confirmText && !confirm(confirmText)) return
    err.textContent = ''
    try {
      if (verb === 'delete') await api.del(`/sessions/${esc(s.id)}`)
      else await api.post(`/sessions/${esc(s.id)}:${verb}`)
      await load()
    } catch (e) {
      err.textContent = `${s.name}: ${(e as Error).message}`
    }
  }

  const card = (s: Session) => {
    const manage = ctx.can('manage')
    const b = (label: string, verb: string, confirmText?: string) =>
      h('button', { type: 'button', onclick: () => act(s, verb, confirmText) }, label)
    return h(
      'article',
      { class: 'card', 'data-session': s.id },
      h('h2', {}, s.name),
      h(
        'p',
        {},
        h('span', { class: `status status-${s.status}`, 'data-status': s.status }, s.status),
        ' ',
        s.phone ? `+${s.phone}` : '',
      ),
      s.lastError ? h('p', { class: 'error' }, s.lastError) : null,
      h('p', { class: 'muted' }, `since ${time(s.statusChangedAt)} · ${s.id}`),
      h(
        'div',
        { class: 'actions' },
        manage ? h('a', { href: `#/link/${esc(s.id)}`, class: 'button' }, 'Link') : null,
        h('a', { href: `#/chats/${esc(s.id)}`, class: 'button' }, 'Chats'),
        manage
          ? [
              // Start where nothing runs; stop and restart where something does.
              ...(idle.has(s.status) ? [b('Start', 'start')] : [b('Stop', 'stop'), b('Restart', 'restart')]),
              b('Log out', 'logout', `Log out "${s.name}"? It must be linked again.`),
              b('Delete', 'delete', `Delete "${s.name}" and its stored messages?`),
            ]
          : null,
      ),
    )
  }

  const render = (s: Session) => {
    const el = card(s)
    const old = rows.get(s.id)
    if (old) old.replaceWith(el)
    else list.append(el)
    rows.set(s.id, el)
  }

  const load = async () => {
    const page = await api.get<{ data: Session[] }>('/sessions?limit=200')
    rows.clear()
    list.replaceChildren()
    if (!page.data.length) list.append(h('p', { class: 'muted' }, 'No sessions yet.'))
    page.data.forEach(render)
    ctx.refreshStatus()
  }

  const create = ctx.can('manage')
    ? form(
        { class: 'inline', 'aria-label': 'Create a session' },
        async (data, f) => {
          const s = await api.post<Session>('/sessions', {
            name: String(data.get('name')),
            start: data.get('start') === 'on',
          })
          f.reset()
          await load()
          if (data.get('start') === 'on') location.hash = `#/link/${esc(s.id)}`
        },
        field('Name', h('input', { name: 'name', required: true, maxlength: '100' })),
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'start', checked: true }),
          'start and link now',
        ),
        h('button', { type: 'submit' }, 'Create session'),
      )
    : null

  mount(ctx.main, h('h1', {}, 'Sessions'), create, err, list)
  load().catch((e: Error) => (err.textContent = e.message))
  return onEvent((e) => {
    if (e.type === 'session.status' && e.data?.id) {
      render(e.data as Session)
      ctx.refreshStatus()
    }
  })
}
