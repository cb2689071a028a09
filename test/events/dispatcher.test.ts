import { afterEach, describe, expect, it } from 'bun:test'
import { eventsRig, type EventsRig } from './setup.ts'
import { startReceiver, waitFor } from './receiver.ts'

let rig: EventsRig
let receivers: ReturnType<typeof startReceiver>[] = []
const receiver = (opts: Parameters<typeof startReceiver>[0] = {}) => {
  const r = startReceiver(opts)
  receivers.push(r)
  return r
}
afterEach(async () => {
  await rig?.close()
  for (const r of receivers.splice(0)) r.stop()
})

describe('dispatcher', () => {
  it('delivers a committed event with a valid Standard Webhooks signature', async () => {
    rig = await eventsRig()
    const rx = receiver()
    const w = rig.webhook({ url: rx.url })
    rx.state.secret = w.secret
    rig.dispatcher.start()
    const [e] = rig.emit(1)
    await waitFor(() => rx.received.length === 1)
    expect(rx.received[0]!.valid).toBe(true)
    expect(rx.received[0]!.id).toBe(e!.id)
    expect(rx.received[0]!.event).toMatchObject({ id: e!.id, type: 'message.received', orgId: 'acme', data: { i: 0 } })
    await waitFor(() => rig.deliveries(w.id)[0]?.status === 'succeeded')
  })
})
