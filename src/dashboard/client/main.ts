// The dashboard's entry: sign-in, the hash router, the navigation (by capability) and the status bar.
import { api, ApiError, startStream, stopStream, token, type Me } from './api.ts'
import { field, form, h, mount } from './dom.ts'
import { channelsPage } from './pages/channels.ts'
import { chatsPage } from './pages/chats.ts'
import { eventsPage } from './pages/events.ts'
import { keysPage } from './pages/keys.ts'
import { linkPage } from './pages/link.ts'
import { sessionsPage } from './pages/sessions.ts'
import { webhooksPage } from './pages/webhooks.ts'

export type Ctx = { me: Me; can: (cap: string) => boolean; main: HTMLElement; refreshStatus: () => void }
/** A page renders into ctx.main and returns its cleanup (unsubscribing from events). */
export type Page = (ctx: Ctx, args: string[]) => (() => void) | void

const pages: Record<string, { title: string; cap: string; page: Page }> = {
  sessions: { title: 'Sessions', cap: 'read', page: sessionsPage },
  link: { title: 'Link', cap: 'manage', page: linkPage },
  chats: { title: 'Chats', cap: 'read', page: chatsPage },
  channels: { title: 'Channels', cap: 'read', page: channelsPage },
  webhooks: { title: 'Webhooks', cap: 'manage', page: webhooksPage },
  events: { title: 'Events', cap: 'read', page: eventsPage },
  keys: { title: 'API keys', cap: 'admin', page: keysPage },
}

const root = document.getElementById('app')!

function signIn(message = '') {
  stopStream()
  const input = h('input', { name: 'token', type: 'password', required: true, autocomplete: 'off', id: 'token' })
  mount(
    root,
    h(
      'main',
      { class: 'signin' },
      h('h1', {}, 'wagate'),
      h('p', {}, 'Sign in with an API key (wgk_…) or a login JWT. It is kept in this tab only (sessionStorage).'),
      message ? h('p', { class: 'error', role: 'alert' }, message) : null,
      form(
        { 'aria-label': 'Sign in' },
        async (data) => {
          token.set(String(data.get('token')).trim())
          try {
            await start()
          } catch (e) {
            token.clear()
            throw e
          }
        },
        field('API key or JWT', input),
        h('button', { type: 'submit' }, 'Sign in'),
      ),
    ),
  )
  input.focus()
}

async function start() {
  const me = await api.get<Me>('/me')
  const can = (c: string) => me.capabilities.includes(c)
  const main = h('main', { id: 'main', tabindex: '-1' })
  const version = h('span', { id: 'status-version' })
  const ready = h('span', { id: 'status-ready' })
  const connected = h('span', { id: 'status-connected' })
  const live = h('span', { id: 'status-stream' }, 'events: connecting')
  const nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    Object.entries(pages)
      .filter(([, p]) => can(p.cap))
      .map(([k, p]) => h('a', { href: `#/${k}`, 'data-page': k }, p.title)),
    h('button', { type: 'button', class: 'link', onclick: () => (token.clear(), signIn()) }, 'Sign out'),
  )
  const refreshStatus = async () => {
    const health = await api.probe('/healthz')
    version.textContent = health.version ? `wagate ${health.version}` : 'wagate ?'
    const r = await api.probe('/readyz')
    ready.textContent = r.status === 'ready' ? 'ready' : 'not ready'
    ready.className = r.status === 'ready' ? 'ok' : 'bad'
    const s = await api.get<{ data: { status: string }[] }>('/sessions?limit=200').catch(() => null)
    connected.textContent = s ? `${s.data.filter((x) => x.status === 'connected').length} connected` : ''
  }
  mount(
    root,
    h('header', {}, h('strong', {}, 'wagate'), nav),
    main,
    h('footer', { class: 'statusbar', 'aria-live': 'polite' }, version, ready, connected, live),
  )
  const ctx: Ctx = { me, can, main, refreshStatus: () => void refreshStatus() }
  let cleanup: (() => void) | void
  const route = () => {
    cleanup?.()
    const [hash, ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
    const name = hash || 'sessions'
    const p = pages[name] && can(pages[name].cap) ? pages[name] : pages.sessions!
    for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', a.dataset.page === name)
    main.replaceChildren(h('h1', {}, p.title))
    document.title = `${p.title} · wagate`
    cleanup = p.page(ctx, args)
  }
  // After a navigation the keyboard continues in the page, not in the menu left behind.
  window.onhashchange = () => (route(), main.focus())
  route()
  startStream((on) => (live.textContent = on ? 'events: live' : 'events: reconnecting'))
  void refreshStatus()
  setInterval(() => void refreshStatus(), 15_000)
}

if (token.get())
  start().catch((e: unknown) => {
    token.clear()
    signIn(e instanceof ApiError ? e.message : String(e))
  })
else signIn()
