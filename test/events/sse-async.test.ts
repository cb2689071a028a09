// The hub reads the outbox through the async repository: a commit that lands while a scan is in flight (after the
// scan read the table, before its answer arrived) must still reach a live client without another commit. (A scan
// that found something is followed by another anyway, as the client reads; one that found nothing is not.)
import { afterEach, expect, it } from 'bun:test'
import { createSseHub } from '../../src/events/sse.ts'
import type { EventRepo } from '../../src/store/contract.ts'
import { waitFor } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
afterEach(() => rig.close())

it('sends an event committed while an empty scan was in flight without waiting for another commit', async () => {
  rig = await eventsRig()
  const real = rig.repos.events
  let hold: Promise<void> | null = null
  let scanned = () => {}
  // The real scan, whose answer is held back while `hold` is set: the window a slow database opens.
  const events: Pick<EventRepo, 'scan' | 'onCommitted'> = {
    onCommitted: real.onCommitted,
    async scan(...args) {
      const r = await real.scan(...args)
      const gate = hold
      if (gate) {
        hold = null
        scanned()
        await gate
      }
      return r
    },
  }
  const hub = createSseHub(events)
  const reader = hub.open('acme', 0, {}).getReader()
  const text: string[] = []
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        text.push(new TextDecoder().decode(value))
      }
    } catch {} // hub.close() cuts the stream
  })()
  const ids = () => [...text.join('').matchAll(/^id: (\S+)$/gm)].map((m) => m[1])
  await waitFor(() => text.join('').includes(': connected'), 5000, 'the stream opened')
  await Bun.sleep(20) // the first (empty) scan has answered: the client is live

  let release = () => {}
  hold = new Promise<void>((r) => (release = r))
  const inFlight = new Promise<void>((r) => (scanned = r))
  rig.emit(1, { orgId: 'other' }) // wakes the client: its scan finds nothing of acme's, then waits on the gate
  await inFlight
  const [b] = rig.emit(1) // committed after that scan read the table
  await Bun.sleep(20) // its wake-up comes while the scan is still held
  release()
  await waitFor(() => ids().length === 1, 5000, 'the event streamed')
  expect(ids()).toEqual([b!.id])
  hub.close()
})
