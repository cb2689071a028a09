// Events: the live monitor, filtered by type pattern and session, with pause and resume.
import { onEvent, type Event } from '../api.ts'
import { field, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'

export const eventsPage: Page = (ctx) => {
  const type = h('input', { name: 'type', placeholder: 'message.* or session.status' })
  const session = h('input', { name: 'session', placeholder: 'session id' })
  const log = h('ol', { class: 'events', id: 'events', 'aria-live': 'off' })
  const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause')
  const held: Event[] = []
  let paused = false
  const matches = (e: Event) => {
    const t = type.value.trim()
    const okType = !t || t === '*' || (t.endsWith('.*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t)
    return okType && (!session.value.trim() || e.sessionId === session.value.trim())
  }
  const show = (e: Event) => {
    if (!matches(e)) return
    log.prepend(
      h(
        'li',
        { 'data-type': e.type },
        h('strong', {}, e.type),
        ` ${time(e.createdAt)} · ${e.sessionId ?? '—'}`,
        h('pre', {}, JSON.stringify(e.data, null, 2)),
      ),
    )
    while (log.children.length > 200) log.lastElementChild!.remove()
  }
  pause.onclick = () => {
    paused = !paused
    pause.textContent = paused ? `Resume (${held.length})` : 'Pause'
    pause.setAttribute('aria-pressed', String(paused))
    if (!paused) held.splice(0).forEach(show)
  }
  mount(
    ctx.main,
    h('h1', {}, 'Events'),
    h('div', { class: 'inline' }, field('Type', type), field('Session', session), pause),
    h('p', { class: 'muted' }, 'Events from now on, newest first.'),
    log,
  )
  return onEvent((e) => {
    if (paused) {
      held.push(e)
      pause.textContent = `Resume (${held.length})`
    } else show(e)
  })
}
