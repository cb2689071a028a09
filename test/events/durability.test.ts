// Delivery state lives in SQLite: events committed while no dispatcher runs, and deliveries a crashed
// process left in flight, are delivered after a restart.
import { afterEach, expect, it } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { createSealer } from '../../src/domain/sealer.ts'
import { generateSecret } from '../../src/events/secrets.ts'
import { createWebhookStore } from '../../src/store/webhooks.ts'
import { startReceiver, waitFor } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let rx: ReturnType<typeof startReceiver>
afterEach(async () => {
  await rig.close()
  rx.stop()
})

it('fans out events committed while no dispatcher was running', async () => {
  rig = await eventsRig()
  rx = startReceiver()
  const w = rig.webhook({ url: rx.url })
  const events = rig.emit(20)
  await rig.dispatcher.start()
  await waitFor(() => rx.received.length === 20)
  expect(rx.ids()).toEqual(events.map((e) => e.id))
  expect(rig.stores.webhooks.target(w.id)!.hwm).toBe(events[19]!.seq)
})

it('resends deliveries a crashed process left in flight, with the same webhook-id', async () => {
  rig = await eventsRig()
  rx = startReceiver()
  const w = rig.webhook({ url: rx.url })
  const [e] = rig.emit(1)
  // What a crash mid-request leaves: the delivery fanned out and claimed (`sending`), never recorded.
  rig.stores.deliveries.fanOut({ id: w.id, orgId: 'acme', hwm: 0 }, () => true, 100)
  expect(rig.stores.deliveries.claim(w.id, 10)).toHaveLength(1)
  await rig.restart()
  await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
  expect(rx.ids()).toEqual([e!.id])
})

it('resumes pending retries after a restart', async () => {
  rig = await eventsRig({ schedule: [300, 300, 300] })
  rx = startReceiver({ reply: (_, n) => ({ status: n === 1 ? 500 : 200 }) })
  const w = rig.webhook({ url: rx.url })
  await rig.dispatcher.start()
  const [e] = rig.emit(1)
  await waitFor(() => rig.deliveries(w.id)[0]?.attemptCount === 1)
  await rig.restart()
  await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
  expect(rx.ids()).toEqual([e!.id, e!.id])
})

it('creates each delivery once however often fan-out runs', async () => {
  rig = await eventsRig()
  rx = startReceiver()
  const w = rig.webhook({ url: rx.url })
  rig.emit(5)
  const t = rig.stores.webhooks.target(w.id)!
  const first = rig.stores.deliveries.fanOut(t, () => true, 100)
  const again = rig.stores.deliveries.fanOut(rig.stores.webhooks.target(w.id)!, () => true, 100)
  expect([first.made, again.made]).toEqual([5, 0])
})

it('keeps delivering to other webhooks when one secret cannot be decrypted', async () => {
  rig = await eventsRig()
  rx = startReceiver()
  const foreign = createWebhookStore(rig.db, rig.stores.codec, createSealer(randomBytes(32))) // sealed under another key
  const unreadable = foreign.create('acme', { url: rx.url, events: ['*'] }, generateSecret())
  const w = rig.webhook({ url: rx.url })
  await rig.dispatcher.start()
  rig.emit(1)
  // One pass fans out every endpoint it has: once the readable webhook is past the event, the unreadable
  // one would have its delivery too if it were an endpoint.
  await rig.settled(w.id)
  expect(rx.received).toHaveLength(1)
  expect(rig.deliveries(unreadable.id)).toHaveLength(0)
  expect(rig.stores.webhooks.get('acme', unreadable.id)!.enabled).toBe(true)
})
