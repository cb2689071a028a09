// Webhooks: create (the secret shown once), test, delete, and each webhook's deliveries with every attempt.
import { api, esc } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'

type Webhook = { id: string; url: string; events: string[]; enabled: boolean; disabledReason: string | null }
type Attempt = { at: number; statusCode: number | null; latencyMs: number; error: string | null }
type Delivery = {
  id: string
  eventType: string
  status: string
  attemptCount: number
  attempts: Attempt[]
  createdAt: number
}

export const webhooksPage: Page = (ctx) => {
  const err = h('p', { class: 'error', role: 'alert' })
  const secret = h('div', { id: 'webhook-secret', 'aria-live': 'polite' })
  const list = h('div', { class: 'cards', id: 'webhooks' })

  const deliveries = async (w: Webhook, box: HTMLElement) => {
    const p = await api.get<{ data: Delivery[] }>(`/webhooks/${esc(w.id)}/deliveries?limit=20`)
    mount(
      box,
      p.data.length
        ? h(
            'ul',
            { class: 'plain deliveries' },
            p.data.map((d) =>
              h(
                'li',
                { 'data-delivery': d.id, 'data-status': d.status },
                h('strong', {}, d.eventType),
                ` ${d.status} · ${d.attemptCount} attempt(s) · ${time(d.createdAt)}`,
                h(
                  'ul',
                  {},
                  d.attempts.map((a) =>
                    h(
                      'li',
                      { class: 'muted' },
                      `${time(a.at)}: ${a.statusCode ?? a.error ?? 'no response'} in ${a.latencyMs} ms`,
                    ),
                  ),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      api
                        .post(`/webhooks/${esc(w.id)}/deliveries/${esc(d.id)}:redeliver`)
                        .then(() => deliveries(w, box))
                        .catch((e: Error) => (err.textContent = e.message)),
                  },
                  'Redeliver',
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No deliveries yet.'),
    )
  }

  const card = (w: Webhook) => {
    const box = h('div', {})
    const run = (fn: () => Promise<unknown>) => () => fn().catch((e: Error) => (err.textContent = e.message))
    return h(
      'article',
      { class: 'card', 'data-webhook': w.id },
      h('h2', {}, w.url),
      h('p', {}, `events: ${w.events.join(', ')} · ${w.enabled ? 'enabled' : `disabled ${w.disabledReason ?? ''}`}`),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            onclick: run(async () => (await api.post(`/webhooks/${esc(w.id)}:test`), deliveries(w, box))),
          },
          'Send test',
        ),
        h('button', { type: 'button', onclick: run(() => deliveries(w, box)) }, 'Deliveries'),
        h(
          'button',
          {
            type: 'button',
            onclick: run(async () => {
              if (confirm(`Delete the webhook to ${w.url}?`)) (await api.del(`/webhooks/${esc(w.id)}`), await load())
            }),
          },
          'Delete',
        ),
      ),
      box,
    )
  }

  const load = async () => {
    const p = await api.get<{ data: Webhook[] }>('/webhooks?limit=200')
    list.replaceChildren(...(p.data.length ? p.data.map(card) : [h('p', { class: 'muted' }, 'No webhooks yet.')]))
  }

  mount(
    ctx.main,
    h('h1', {}, 'Webhooks'),
    form(
      { class: 'inline', 'aria-label': 'Create a webhook' },
      async (data, f) => {
        const events = String(data.get('events'))
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        const w = await api.post<{ secret: string; url: string }>('/webhooks', { url: String(data.get('url')), events })
        f.reset()
        mount(secret, h('p', { class: 'notice' }, `Secret for ${w.url} (shown only now): `, h('code', {}, w.secret)))
        await load()
      },
      field('URL', h('input', { name: 'url', type: 'url', required: true })),
      field('Events (comma-separated patterns)', h('input', { name: 'events', value: '*', required: true })),
      h('button', { type: 'submit' }, 'Create webhook'),
    ),
    secret,
    err,
    list,
  )
  load().catch((e: Error) => (err.textContent = e.message))
}
