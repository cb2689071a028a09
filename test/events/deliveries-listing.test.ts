// GET /api/v1/webhooks/{id}/deliveries: every delivery without a filter, one status with it, newest first,
// paged by an opaque cursor bound to the filter. Deliveries are made through the store (no dispatcher runs).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import type { DeliveryStatus } from '../../src/store/deliveries.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let http: ReturnType<EventsRig['http']>
let webhookId: string
/** Delivery ids by status, newest first, as the listing must answer them. */
const made: Record<DeliveryStatus, string[]> = { pending: [], sending: [], succeeded: [], failed: [] }
let all: string[] = []

/** Creates one delivery per status in `order`, oldest first, driving each to its status through the store. */
function seed(order: DeliveryStatus[]) {
  const { deliveries, events } = rig.stores
  for (const status of order) {
    const e = events.append({ type: 'message.received', orgId: 'acme', sessionId: null, data: {} })!
    const d = deliveries.create(webhookId, e, 0)
    if (status !== 'pending') {
      const [job] = deliveries.claim(webhookId, 1, 0)
      if (status !== 'sending') {
        const attempt = {
          at: 0,
          statusCode: status === 'succeeded' ? 204 : 400,
          latencyMs: 1,
          error: null,
          response: null,
        }
        deliveries.record([{ pk: job!.pk, status, nextAttemptAt: 0, attempt }])
      }
    } else {
      // pending deliveries stay unclaimable so the next claim takes the one just made
      rig.db.sqlite.query('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?').run(1e15, d.id)
    }
    made[status].unshift(d.id)
    all.unshift(d.id)
  }
}

const list = async (query = '') => {
  const res = await http.request(`/api/v1/webhooks/${webhookId}/deliveries${query}`)
  return { status: res.status, body: (await res.json()) as any }
}
const ids = (body: any) => body.data.map((d: { id: string }) => d.id)

beforeAll(async () => {
  rig = await eventsRig()
  http = rig.http()
  webhookId = rig.webhook({ url: 'http://127.0.0.1:9/hook' }).id
  seed(['succeeded', 'failed', 'pending', 'sending', 'succeeded', 'failed', 'pending', 'succeeded'])
})
afterAll(() => rig.close())

describe('webhook deliveries listing', () => {
  it('lists every delivery, newest first, when no status is given', async () => {
    const { status, body } = await list()
    expect(status).toBe(200)
    expect(ids(body)).toEqual(all)
    expect(all).toHaveLength(8)
    expect(body.nextCursor).toBeNull()
    expect(body.data.map((d: { status: string }) => d.status)).toEqual([
      'succeeded',
      'pending',
      'failed',
      'succeeded',
      'sending',
      'pending',
      'failed',
      'succeeded',
    ])
  })

  for (const s of ['pending', 'sending', 'succeeded', 'failed'] as const) {
    it(`lists only ${s} deliveries with status=${s}`, async () => {
      const { status, body } = await list(`?status=${s}`)
      expect(status).toBe(200)
      expect(ids(body)).toEqual(made[s])
      expect(body.data.every((d: { status: string }) => d.status === s)).toBe(true)
      expect(body.nextCursor).toBeNull()
    })
  }

  it('shows each delivery with its attempts', async () => {
    const { body } = await list('?status=failed&limit=1')
    expect(body.data[0]).toMatchObject({
      webhookId,
      eventType: 'message.received',
      status: 'failed',
      attemptCount: 1,
      nextAttemptAt: null,
      attempts: [{ at: 0, statusCode: 400, latencyMs: 1, error: null, response: null }],
    })
  })

  it('pages the unfiltered listing with limit and cursor, each delivery once', async () => {
    const pages: string[][] = []
    let cursor = ''
    for (;;) {
      const { status, body } = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(status).toBe(200)
      pages.push(ids(body))
      if (!body.nextCursor) break
      cursor = body.nextCursor
    }
    expect(pages).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6)])
  })

  it('pages a filtered listing', async () => {
    const first = await list('?status=succeeded&limit=2')
    expect(ids(first.body)).toEqual(made.succeeded.slice(0, 2))
    const second = await list(`?status=succeeded&limit=2&cursor=${first.body.nextCursor}`)
    expect(ids(second.body)).toEqual(made.succeeded.slice(2))
    expect(second.body.nextCursor).toBeNull()
  })

  it('refuses a cursor of the unfiltered listing for a filtered one with 400', async () => {
    const { body } = await list('?limit=1')
    const { status, body: err } = await list(`?status=failed&cursor=${body.nextCursor}`)
    expect(status).toBe(400)
    expect(err.error).toMatchObject({ code: 'validation_error', details: { cursor: 'not issued for this listing' } })
  })

  it('refuses an unknown status with 400 validation_error', async () => {
    const { status, body } = await list('?status=done')
    expect(status).toBe(400)
    expect(body.error.code).toBe('validation_error')
  })
})
