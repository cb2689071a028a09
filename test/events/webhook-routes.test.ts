// The webhooks API: secrets shown once and stored encrypted, validation, :rotateSecret, :test,
// deliveries and :redeliver — with a real receiver behind the dispatcher.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { startReceiver, verify, waitFor } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let http: ReturnType<EventsRig['http']>
let rx: ReturnType<typeof startReceiver>
beforeEach(async () => {
  rig = await eventsRig()
  http = rig.http()
  rx = startReceiver()
  await rig.dispatcher.start()
})
afterEach(async () => {
  await rig.close()
  rx.stop()
})

const create = async (body: Record<string, unknown> = {}) => {
  const res = await http.request('/api/v1/webhooks', { method: 'POST', json: { url: rx.url, events: ['*'], ...body } })
  return { status: res.status, body: (await res.json()) as any }
}

describe('webhooks API', () => {
  it('returns the whsec_ secret once, at creation, and never again', async () => {
    const { status, body } = await create()
    expect(status).toBe(201)
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const got = (await (await http.request(`/api/v1/webhooks/${body.id}`)).json()) as any
    const list = (await (await http.request('/api/v1/webhooks')).json()) as any
    expect(got.secret).toBeUndefined()
    expect(JSON.stringify(list)).not.toContain(body.secret.slice(6))
  })

  it('stores the secret encrypted', async () => {
    const { body } = await create()
    const dump = JSON.stringify(rig.db.sqlite.query('SELECT * FROM webhooks').all())
    expect(dump).not.toContain(body.secret.slice(6))
    expect(dump).toContain('"secret":"v2.')
  })

  for (const url of ['ftp://example.test/x', 'javascript:alert(1)', 'not a url', 'file:///etc/passwd']) {
    it(`rejects the url ${url} with 400`, async () => {
      const { status, body } = await create({ url })
      expect(status).toBe(400)
      expect(body.error.code).toBe('validation_error')
    })
  }

  it('rejects an invalid event pattern with 400', async () => {
    const { status, body } = await create({ events: ['message.*.x'] })
    expect(status).toBe(400)
    expect(body.error.details.invalid).toEqual(['message.*.x'])
  })

  it("rejects another organisation's session in sessionIds with 400", async () => {
    const theirs = rig.stores.sessions.create({ orgId: 'other', name: 'x' })
    const { status } = await create({ sessionIds: [theirs.id] })
    expect(status).toBe(400)
  })

  it('signs with both secrets after :rotateSecret, until the grace period ends', async () => {
    const { body: w } = await create()
    const res = await http.request(`/api/v1/webhooks/${w.id}:rotateSecret`, { method: 'POST', json: {} })
    const rotated = (await res.json()) as any
    expect(rotated.secret).not.toBe(w.secret)
    expect(rotated.previousSecretExpiresAt).toBeGreaterThan(Date.now())
    rig.emit(1)
    await waitFor(() => rx.received.length === 1)
    const [got] = rx.received
    expect(got!.signatures).toHaveLength(2)
    const headers = new Headers({
      'webhook-id': got!.id,
      'webhook-timestamp': String(got!.timestamp),
      'webhook-signature': got!.signatures.join(' '),
    })
    expect(verify(rotated.secret, headers, got!.body)).toBe(true)
    expect(verify(w.secret, headers, got!.body)).toBe(true)
  })

  it('signs with the new secret only when rotated without grace', async () => {
    const { body: w } = await create()
    const res = await http.request(`/api/v1/webhooks/${w.id}:rotateSecret`, {
      method: 'POST',
      json: { graceSeconds: 0 },
    })
    rx.state.secret = ((await res.json()) as any).secret
    rig.emit(1)
    await waitFor(() => rx.received.length === 1)
    expect(rx.received[0]!.signatures).toHaveLength(1)
    expect(rx.received[0]!.valid).toBe(true)
  })

  it(':test sends a webhook.test event to that webhook only', async () => {
    const other = startReceiver()
    try {
      const { body: w } = await create()
      const { body: w2 } = await create({ url: other.url })
      const res = await http.request(`/api/v1/webhooks/${w.id}:test`, { method: 'POST' })
      expect(res.status).toBe(202)
      const d = (await res.json()) as any
      await waitFor(() => rx.received.length === 1)
      expect(rx.received[0]!.event).toMatchObject({ type: 'webhook.test', id: d.eventId, data: { webhookId: w.id } })
      // The other webhook, subscribed to '*', is fanned out past the test event and got no delivery for it.
      await rig.settled(w2.id, rig.stores.events.seqOf('acme', d.eventId)!)
      expect(rig.deliveries(w2.id)).toHaveLength(0)
      expect(other.received).toHaveLength(0)
    } finally {
      other.stop()
    }
  })

  it('lists failed deliveries and redelivers one with the same webhook-id', async () => {
    let reject = true
    rx.state.reply = () => ({ status: reject ? 400 : 200 })
    const { body: w } = await create()
    const [e] = rig.emit(1)
    await waitFor(() => rig.deliveries(w.id)[0]?.status === 'failed')
    const failed = (await (await http.request(`/api/v1/webhooks/${w.id}/deliveries?status=failed`)).json()) as any
    expect(failed.data).toHaveLength(1)
    expect(failed.data[0]).toMatchObject({ eventId: e!.id, status: 'failed', attemptCount: 1 })
    reject = false
    const res = await http.request(`/api/v1/webhooks/${w.id}/deliveries/${failed.data[0].id}:redeliver`, {
      method: 'POST',
    })
    expect(res.status).toBe(202)
    const again = (await res.json()) as any
    await waitFor(() => rig.stores.deliveries.get(w.id, again.id)?.status === 'succeeded')
    expect(rx.ids()).toEqual([e!.id, e!.id])
  })

  it('re-enabling a disabled webhook resumes with events committed from then on', async () => {
    const { body: w } = await create({ enabled: false })
    rig.emit(2)
    await http.request(`/api/v1/webhooks/${w.id}`, { method: 'PATCH', json: { enabled: true } })
    const [e] = rig.emit(1)
    await rig.settled(w.id)
    expect(rx.ids()).toEqual([e!.id])
  })

  it('deletes a webhook with its deliveries', async () => {
    const { body: w } = await create()
    rig.emit(1)
    await waitFor(() => rig.deliveries(w.id).length === 1)
    expect((await http.request(`/api/v1/webhooks/${w.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await http.request(`/api/v1/webhooks/${w.id}`)).status).toBe(404)
    expect(rig.deliveries(w.id)).toHaveLength(0)
  })
})
