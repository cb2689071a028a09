// The webhook dispatcher against real HTTP receivers on 127.0.0.1: outcomes by status code, retries,
// ordering, isolation and concurrency.
import { afterEach, beforeAll, describe, expect, it } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startReceiver, waitFor, type Received, type Reply } from './receiver.ts'
import { eventsRig as rigOn, type EventsRig } from './setup.ts'

// Every behaviour holds whichever thread sends: the dispatcher's own (an injected fetch, as most tests run it) or
// the worker thread the server uses, with its egress policy built from an allow list.
const senders = [
  ['sending on the event loop', {}],
  ['sending from a worker thread', { fetch: undefined, egressAllow: '127.0.0.0/8,::1' }],
] as const
let sending: (typeof senders)[number][1] = {}
const eventsRig = (opts: Parameters<typeof rigOn>[0] = {}) => rigOn({ ...sending, ...opts })

let rig: EventsRig
const receivers: ReturnType<typeof startReceiver>[] = []
const receiver = (opts: Parameters<typeof startReceiver>[0] = {}) => {
  const r = startReceiver(opts)
  receivers.push(r)
  return r
}
afterEach(async () => {
  await rig?.close()
  for (const r of receivers.splice(0)) r.stop()
})

/** A rig with one webhook pointing at a fresh receiver whose replies `reply` decides. */
async function oneHook(reply?: (r: Received, n: number) => Reply) {
  rig = await eventsRig()
  const rx = receiver({ reply })
  const w = rig.webhook({ url: rx.url })
  rx.state.secret = w.secret
  await rig.dispatcher.start()
  return { rx, w }
}

for (const [where, how] of senders)
  describe(`dispatcher, ${where}`, () => {
    beforeAll(() => {
      sending = how
    })

    it('delivers a committed event with a valid Standard Webhooks signature', async () => {
      const { rx, w } = await oneHook()
      const [e] = rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
      expect(rx.received).toHaveLength(1)
      expect(rx.received[0]!.valid).toBe(true)
      expect(rx.received[0]!.id).toBe(e!.id)
      expect(rx.received[0]!.event).toMatchObject({
        id: e!.id,
        type: 'message.received',
        orgId: 'acme',
        data: { i: 0 },
      })
    })

    it('retries a 500 until it is delivered, with the same webhook-id every time', async () => {
      const { rx, w } = await oneHook((_, n) => ({ status: n <= 2 ? 500 : 200, body: n <= 2 ? 'boom' : 'ok' }))
      const [e] = rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
      expect(rx.ids()).toEqual([e!.id, e!.id, e!.id])
      expect(rx.received.every((r) => r.valid)).toBe(true)
      const d = rig.deliveries(w.id)[0]!
      expect(d.attemptCount).toBe(3)
      expect(d.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200])
      expect(d.attempts[0]).toMatchObject({ error: 'HTTP 500', response: null }) // a 5xx page is not stored
      expect(d.attempts[2]).toMatchObject({ error: null, response: 'ok' })
      expect(d.attempts.every((a) => a.latencyMs >= 0)).toBe(true)
    })

    it('disables the webhook when the endpoint answers 410 Gone', async () => {
      const { rx, w } = await oneHook(() => ({ status: 410 }))
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'failed')
      const after = rig.stores.webhooks.get('acme', w.id)!
      expect(after.enabled).toBe(false)
      expect(after.disabledReason).toContain('410')
      // A second webhook sees the next events: once it has them, the dispatcher has passed over them for both.
      const control = receiver()
      const other = rig.webhook({ url: control.url })
      rig.emit(3)
      await rig.settled(other.id)
      expect(control.received).toHaveLength(3)
      expect(rx.received).toHaveLength(1)
      expect(rig.deliveries(w.id)).toHaveLength(1)
    })

    it('fails a 400 at once without retrying, and keeps it visible', async () => {
      const { rx, w } = await oneHook(() => ({ status: 400, body: 'unknown event' }))
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'failed')
      expect(rig.stores.deliveries.nextDue(w.id)).toBeNull() // failed is final: no retry is scheduled
      expect(rx.received).toHaveLength(1)
      const failed = rig.stores.deliveries.page(w.id, 'failed', { limit: 10 }).data
      expect(failed).toHaveLength(1)
      expect(failed[0]!.attempts[0]).toMatchObject({
        statusCode: 400,
        error: 'rejected (400)',
        response: 'unknown event',
      })
    })

    it('marks a delivery failed after the last scheduled attempt', async () => {
      const { rx, w } = await oneHook(() => ({ status: 503 }))
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'failed', 5000)
      expect(rx.received).toHaveLength(4) // schedule [50, 100, 150] ms: the first attempt and three retries
      expect(rig.deliveries(w.id)[0]!.nextAttemptAt).toBeNull()
    })

    it('honours Retry-After on 429', async () => {
      const { rx, w } = await oneHook((_, n) =>
        n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
      )
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded', 5000)
      expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(950)
    })

    it('records at most 1 KB of the response body', async () => {
      const { w } = await oneHook(() => ({ status: 200, body: 'x'.repeat(5000) }))
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
      expect(rig.deliveries(w.id)[0]!.attempts[0]!.response).toHaveLength(1024)
    })

    it('records a timeout as an error and retries', async () => {
      rig = await eventsRig({ timeoutMs: 100 })
      const rx = receiver({ reply: (_, n) => ({ status: 200, delayMs: n === 1 ? 1000 : 0 }) })
      const w = rig.webhook({ url: rx.url })
      await rig.dispatcher.start()
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded', 5000)
      const [first, second] = rig.deliveries(w.id)[0]!.attempts
      expect(first).toMatchObject({ statusCode: null, error: 'timed out after 100 ms' })
      expect(second!.statusCode).toBe(200)
    })

    it('times out only the slow one of two requests that started together', async () => {
      rig = await eventsRig({ timeoutMs: 200, schedule: [60_000] })
      const rx = receiver({ reply: (r) => ({ status: 200, delayMs: r.event.sessionId === 'slow' ? 1000 : 50 }) })
      const w = rig.webhook({ url: rx.url })
      rig.emit(1, { sessionId: 'slow' })
      rig.emit(1, { sessionId: 'quick' })
      await rig.dispatcher.start()
      await waitFor(() => rig.deliveries(w.id).filter((d) => d.attemptCount === 1).length === 2, 5000)
      const bySession = Object.fromEntries(rig.deliveries(w.id).map((d) => [d.sessionId, d.attempts[0]!]))
      expect(bySession.quick).toMatchObject({ statusCode: 200, error: null })
      expect(bySession.slow).toMatchObject({ statusCode: null, error: 'timed out after 200 ms' })
    })

    it('delivers again after a stop and a start made while a pass was scheduled', async () => {
      const { rx, w } = await oneHook()
      rig.emit(1) // the commit schedules a pass; stop() comes before it runs
      await rig.dispatcher.stop()
      await rig.dispatcher.start()
      rig.emit(1)
      await waitFor(() => rig.deliveries(w.id).filter((d) => d.status === 'succeeded').length === 2)
      expect(rx.received).toHaveLength(2)
    })

    it('records the outcome of a request that was in flight when its webhook was disabled', async () => {
      const { rx, w } = await oneHook(() => ({ status: 200, body: 'ok', delayMs: 300 }))
      rig.emit(1)
      await waitFor(() => rx.state.inFlight === 1)
      rig.stores.webhooks.disable(w.id, 'disabled by the test')
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
      expect(rig.deliveries(w.id)[0]!.attempts.map((a) => a.statusCode)).toEqual([200])
    })

    it('keeps the first attempts of one session in commit order', async () => {
      rig = await eventsRig({ concurrency: 8 })
      const rx = receiver({ reply: () => ({ status: 200, delayMs: Math.floor(Math.random() * 3) }) })
      rig.webhook({ url: rx.url })
      await rig.dispatcher.start()
      for (const s of ['a', 'b', 'c', 'd']) rig.emit(50, { sessionId: s, data: (i) => ({ i }) })
      await waitFor(() => rx.received.length === 200)
      for (const s of ['a', 'b', 'c', 'd']) {
        const order = rx.received.filter((r) => r.event.sessionId === s).map((r) => r.event.data.i)
        expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
      }
      expect(rx.state.maxInFlight).toBeGreaterThan(1) // sessions do run in parallel
    })

    it('keeps the first attempts of one session in commit order when fan-out makes more than the endpoint holds', async () => {
      // Room for 2 + 2: each wave of 40 overflows into the table, and later waves come while earlier ones drain
      // (fan-out claims what it makes only once no first attempt waits in the table).
      rig = await eventsRig({ concurrency: 2, buffer: 2 })
      const rx = receiver({ reply: () => ({ status: 200, delayMs: Math.floor(Math.random() * 2) }) })
      const w = rig.webhook({ url: rx.url })
      await rig.dispatcher.start()
      let sent = 0
      for (let wave = 0; wave < 4; wave++) {
        for (const s of ['a', 'b']) rig.emit(20, { sessionId: s, data: (i) => ({ i: wave * 20 + i }) })
        sent += 40
        await waitFor(() => rx.received.length >= sent - 30)
      }
      await rig.settled(w.id)
      for (const s of ['a', 'b']) {
        const order = rx.received.filter((r) => r.event.sessionId === s).map((r) => r.event.data.i)
        expect(order).toEqual(Array.from({ length: 80 }, (_, i) => i))
      }
      const made = rig.deliveries(w.id)
      expect([made.length, made.filter((d) => d.status === 'succeeded' && d.attemptCount === 1).length]).toEqual([
        160, 160,
      ])
    })

    it('never has more requests in flight to one endpoint than its concurrency limit', async () => {
      rig = await eventsRig({ concurrency: 3 })
      const rx = receiver({ reply: () => ({ status: 200, delayMs: 20 }) })
      rig.webhook({ url: rx.url })
      await rig.dispatcher.start()
      for (let s = 0; s < 10; s++) rig.emit(5, { sessionId: `s${s}` })
      await waitFor(() => rx.received.length === 50)
      expect(rx.state.maxInFlight).toBe(3)
    })

    it('does not let a slow endpoint delay another one', async () => {
      rig = await eventsRig({ concurrency: 2, timeoutMs: 5000 })
      const slow = receiver({ reply: () => ({ status: 200, delayMs: 2000 }) })
      const fast = receiver()
      rig.webhook({ url: slow.url })
      rig.webhook({ url: fast.url })
      await rig.dispatcher.start()
      const started = Date.now()
      for (let s = 0; s < 5; s++) rig.emit(20, { sessionId: `s${s}` })
      await waitFor(() => fast.received.length === 100, 1500)
      expect(Date.now() - started).toBeLessThan(1500)
      expect(slow.received.length).toBeLessThanOrEqual(2)
    })

    it('sends only matching types and sessions', async () => {
      rig = await eventsRig()
      const rx = receiver()
      const w = rig.webhook({ url: rx.url, events: ['message.*', 'session.status'], sessionIds: ['ses_1'] })
      await rig.dispatcher.start()
      rig.emit(1, { type: 'message.received' })
      rig.emit(1, { type: 'chat.updated' })
      rig.emit(1, { type: 'message.status', sessionId: 'ses_2' })
      rig.emit(1, { type: 'session.status' })
      rig.emit(1, { type: 'message.sent' })
      await rig.settled(w.id)
      expect(rx.received.map((r) => r.event.type)).toEqual(['message.received', 'session.status', 'message.sent'])
    })

    it("never sends org B's events to a webhook of org A", async () => {
      rig = await eventsRig()
      const a = receiver()
      const b = receiver()
      const wa = rig.webhook({ url: a.url }, 'acme')
      const wb = rig.webhook({ url: b.url }, 'other')
      await rig.dispatcher.start()
      const theirs = rig.emit(10, { orgId: 'other' })
      rig.emit(5, { orgId: 'acme' })
      await rig.settled(wa.id)
      await rig.settled(wb.id, theirs[9]!.seq) // a webhook's mark moves over its own organisation's events
      expect(b.received).toHaveLength(10)
      expect(a.received.every((r) => r.event.orgId === 'acme')).toBe(true)
      expect(b.received.every((r) => r.event.orgId === 'other')).toBe(true)
      expect(a.received).toHaveLength(5)
    })

    it('gives a new webhook only events committed after its creation', async () => {
      rig = await eventsRig()
      rig.emit(3)
      const rx = receiver()
      const w = rig.webhook({ url: rx.url })
      await rig.dispatcher.start()
      const [e] = rig.emit(1)
      await rig.settled(w.id)
      expect(rx.ids()).toEqual([e!.id])
    })
  })

describe('dispatcher, sender thread', () => {
  it('hands back what a sender thread held when it ends unasked, and a new thread delivers it', async () => {
    const marker = join(tmpdir(), `wagate-dying-sender-${process.pid}`) // as dying-sender.ts names it
    rmSync(marker, { force: true })
    try {
      rig = await rigOn({
        fetch: undefined,
        egressAllow: '127.0.0.0/8,::1',
        senderScript: new URL('./dying-sender.ts', import.meta.url).href,
      })
      const rx = receiver()
      const w = rig.webhook({ url: rx.url })
      rx.state.secret = w.secret
      await rig.dispatcher.start()
      const [e] = rig.emit(1)
      await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded', 5000)
      expect(existsSync(marker)).toBe(true) // the first thread took the job and ended
      expect(rx.ids()).toEqual([e!.id])
      expect(rx.received[0]!.valid).toBe(true)
      expect(rig.deliveries(w.id)[0]!.attempts.map((a) => a.statusCode)).toEqual([204])
    } finally {
      rmSync(marker, { force: true })
    }
  })
})
