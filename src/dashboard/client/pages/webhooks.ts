// Webhooks: create (the secret shown once), edit (URL, events, enabled), rotate the secret (the new one shown
// once), test, delete, and each webhook's deliveries with every attempt and redeliver.
import { api, esc } from '../api.ts'
import { field, form, h, mount, time } from '../dom.ts'
import type { Page } from '../main.ts'
import { showDeliveries } from './deliveries.ts'

type Webhook = {
  id: string
  url: string
  events: string[]
  enabled: boolean
  disabledReason: string | null
  previousSecretExpiresAt: number | null
}

const patterns = (s: FormDataEntryValue | null) =>
  String(s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)

export const webhooksPage: Page = (ctx) => {
  const err = h('p', { class: 'error', role: 'alert' })
  const secret = h('div', { id: 'webhook-secret', 'aria-live': 'polite' })
  const list = h('div', { class: 'cards', id: 'webhooks' })
  const showSecret = (words: string, value: string) =>
    mount(secret, h('p', { class: 'notice' }, `${words} (shown only now, copy it): `, h('code', {}, value)))

  const card = (w: Webhook) => {
    const box = h('div', { class: 'deliveries-box' })
    const run = (fn: () => Promise<unknown>) => () => {
      err.textContent = ''
      fn().catch((e: Error) => (err.textContent = `${w.url}: ${e.message}`))
    }
    const edit = h(
      'details',
      {},
      h('summary', {}, 'Edit'),
      form(
        { 'aria-label': `Edit the webhook to ${w.url}` },
        async (data) => {
          await api.patch(`/webhooks/${esc(w.id)}`, {
            url: String(data.get('url')),
            events: patterns(data.get('events')),
            enabled: data.get('enabled') === 'on',
          })
          await load()
        },
        field('URL', h('input', { name: 'url', type: 'url', required: true, value: w.url })),
        field('Events', h('input', { name: 'events', required: true, value: w.events.join(', ') })),
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', name: 'enabled', checked: w.enabled }),
          'enabled',
        ),
        h('button', { type: 'submit' }, 'Save'),
      ),
    )
    return h(
      'article',
      { class: 'card', 'data-webhook': w.id },
      h('h2', {}, w.url),
      h(
        'p',
        {},
        `events: ${w.events.join(', ')} · `,
        w.enabled
          ? h('span', { class: 'ok' }, 'enabled')
          : h('span', { class: 'bad' }, `disabled${w.disabledReason ? ` (${w.disabledReason})` : ''}`),
      ),
      w.previousSecretExpiresAt && w.previousSecretExpiresAt > Date.now()
        ? h('p', { class: 'muted' }, `The previous secret also signs until ${time(w.previousSecretExpiresAt)}.`)
        : null,
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            onclick: run(async () => (await api.post(`/webhooks/${esc(w.id)}:test`), showDeliveries(w.id, box, err))),
          },
          'Send test',
        ),
        h('button', { type: 'button', onclick: run(() => showDeliveries(w.id, box, err)) }, 'Deliveries'),
        h(
          'button',
          {
            type: 'button',
            onclick: run(async () => {
              if (!confirm(`Rotate the secret of ${w.url}? The old one keeps signing for a day.`)) return
              const r = await api.post<Webhook & { secret: string }>(`/webhooks/${esc(w.id)}:rotateSecret`)
              showSecret(`New secret for ${r.url}`, r.secret)
              await load()
            }),
          },
          'Rotate secret',
        ),
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
      edit,
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
        const events = patterns(data.get('events'))
        const w = await api.post<{ secret: string; url: string }>('/webhooks', { url: String(data.get('url')), events })
        f.reset()
        showSecret(`Secret for ${w.url}`, w.secret)
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
