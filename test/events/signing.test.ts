// Signatures as a receiver checks them (the README's algorithm, re-implemented in receiver.ts): a genuine
// delivery verifies; the same request replayed later, or re-stamped, does not.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { sign } from '../../src/events/signing.ts'
import { startReceiver, waitFor, type Received } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let rx: ReturnType<typeof startReceiver>
let got: Received
beforeAll(async () => {
  rig = await eventsRig()
  rx = startReceiver()
  rx.state.secret = rig.webhook({ url: rx.url }).secret
  await rig.dispatcher.start()
  rig.emit(1)
  await waitFor(() => rx.received.length === 1)
  got = rx.received[0]!
})
afterAll(async () => {
  await rig.close()
  rx.stop()
})

/** Sends a captured delivery to the receiver again, optionally with other headers. */
const replay = (headers: Record<string, string> = {}) =>
  fetch(rx.url, {
    method: 'POST',
    body: got.body,
    headers: {
      'webhook-id': got.id,
      'webhook-timestamp': String(got.timestamp),
      'webhook-signature': got.signatures.join(' '),
      ...headers,
    },
  })

it('verifies a genuine delivery with the documented algorithm', () => {
  expect(got.valid).toBe(true)
  expect(got.timestamp).toBeCloseTo(Date.now() / 1000, -1)
})

it('rejects the captured request replayed after the timestamp tolerance', async () => {
  rx.state.skewMs = 10 * 60_000 // the receiver's clock: ten minutes later
  try {
    expect((await replay()).status).toBe(401)
  } finally {
    rx.state.skewMs = 0
  }
})

it('rejects the captured request re-stamped with a fresh timestamp', async () => {
  const res = await replay({ 'webhook-timestamp': String(got.timestamp + 60) })
  expect(res.status).toBe(401)
})

it('rejects a tampered body', async () => {
  const res = await fetch(rx.url, {
    method: 'POST',
    body: got.body.replace('"i":0', '"i":1'),
    headers: {
      'webhook-id': got.id,
      'webhook-timestamp': String(got.timestamp),
      'webhook-signature': got.signatures[0]!,
    },
  })
  expect(res.status).toBe(401)
})

it('matches the Standard Webhooks reference vector', () => {
  // From the standard-webhooks spec test suite (secret, msg id, timestamp, payload → signature).
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const body = '{"test": 2432232314}'
  expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  )
})
