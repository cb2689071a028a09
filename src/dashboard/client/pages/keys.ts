// API keys (admin): create with the key shown once, list, revoke.
import { api, esc } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'

type Key = {
  id: string
  name: string
  capabilities: string[]
  createdAt: number
  revokedAt: number | null
  lastUsedAt: number | null
}
const caps = ['read', 'send', 'manage', 'admin']

export const keysPage: Page = (ctx) => {
  const err = h('p', { class: 'error', role: 'alert' })
  const shown = h('div', { id: 'new-key', 'aria-live': 'polite' })
  const list = h('ul', { class: 'plain', id: 'keys' })
  const load = async () => {
    const p = await api.get<{ data: Key[] }>('/api-keys?limit=200')
    list.replaceChildren(
      ...p.data.map((k) =>
        h(
          'li',
          { 'data-key': k.id },
          h('strong', {}, k.name),
          ` ${k.capabilities.join(', ')} · created ${time(k.createdAt)} · last used ${time(k.lastUsedAt)}`,
          k.revokedAt
            ? h('span', { class: 'bad' }, ` revoked ${time(k.revokedAt)}`)
            : h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    if (confirm(`Revoke the key "${k.name}"? It stops working at once.`))
                      api
                        .del(`/api-keys/${esc(k.id)}`)
                        .then(load)
                        .catch((e: Error) => (err.textContent = e.message))
                  },
                },
                'Revoke',
              ),
        ),
      ),
    )
  }
  mount(
    ctx.main,
    h('h1', {}, 'API keys'),
    form(
      { class: 'inline', 'aria-label': 'Create an API key' },
      async (data, f) => {
        const k = await api.post<{ key: string; name: string }>('/api-keys', {
          name: String(data.get('name')),
          capabilities: data.getAll('cap').map(String),
        })
        f.reset()
        mount(shown, h('p', { class: 'notice' }, `Key "${k.name}" (shown only now): `, h('code', {}, k.key)))
        await load()
      },
      field('Name', h('input', { name: 'name', required: true })),
      h(
        'fieldset',
        {},
        h('legend', {}, 'Capabilities'),
        caps.map((c) =>
          h(
            'label',
            { class: 'check' },
            h('input', { type: 'checkbox', name: 'cap', value: c, checked: c === 'read' }),
            c,
          ),
        ),
      ),
      h('button', { type: 'submit' }, 'Create key'),
    ),
    shown,
    err,
    list,
  )
  load().catch((e: Error) => (err.textContent = e.message))
}
