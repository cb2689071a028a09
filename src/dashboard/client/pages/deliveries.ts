// A webhook's deliveries, newest first, each with every attempt, and redeliver.
import { api, esc } from '../api.ts'
import { h, mount, time } from '../dom.ts'

type Attempt = { at: number; statusCode: number | null; latencyMs: number; error: string | null }
type Delivery = {
  id: string
  eventType: string
  status: string
  attemptCount: number
  attempts: Attempt[]
  createdAt: number
  nextAttemptAt?: number | null
}

const attemptWords = (a: Attempt) =>
  `${time(a.at)}: ${a.statusCode !== null ? `HTTP ${a.statusCode}` : 'no response'}${a.error ? ` (${a.error})` : ''} in ${a.latencyMs} ms`

/** Renders the deliveries of webhook `id` into `box`; errors go to `err`. */
export async function showDeliveries(id: string, box: HTMLElement, err: HTMLElement): Promise<void> {
  const p = await api.get<{ data: Delivery[] }>(`/webhooks/${esc(id)}/deliveries?limit=20`)
  const redeliver = (d: Delivery) => () =>
    api
      .post(`/webhooks/${esc(id)}/deliveries/${esc(d.id)}:redeliver`)
      .then(() => showDeliveries(id, box, err))
      .catch((e: Error) => (err.textContent = e.message))
  mount(
    box,
    h('h3', {}, 'Deliveries'),
    p.data.length
      ? h(
          'ul',
          { class: 'plain deliveries' },
          p.data.map((d) =>
            h(
              'li',
              { 'data-delivery': d.id, 'data-status': d.status },
              h('strong', {}, d.eventType),
              ` ${d.status} · ${d.attemptCount} attempt${d.attemptCount === 1 ? '' : 's'} · ${time(d.createdAt)}`,
              d.nextAttemptAt && d.status !== 'succeeded' ? ` · next try ${time(d.nextAttemptAt)}` : '',
              d.attempts.length
                ? h(
                    'ol',
                    { class: 'attempts' },
                    d.attempts.map((a) => h('li', { class: 'muted' }, attemptWords(a))),
                  )
                : null,
              h('button', { type: 'button', class: 'small', onclick: redeliver(d) }, 'Redeliver'),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No deliveries yet.'),
  )
}
