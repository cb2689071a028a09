// The live stream over real HTTP on 127.0.0.1: frames, Last-Event-ID resume without gaps, heartbeats,
// filters, and a client that never reads being cut off while ingest carries on.
import { afterEach, expect, it } from 'bun:test'
import net from 'node:net'
import { waitFor } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

let rig: EventsRig
let stop: (() => unknown)[] = []
afterEach(async () => {
  for (const s of stop.splice(0)) await s()
  await rig.close()
})

async function serve(sse: Parameters<EventsRig['http']>[0] = {}) {
  rig = await eventsRig()
  const http = rig.http(sse)
  const server = http.app.listen({ hostname: '127.0.0.1', port: 0 })
  stop.push(() => {
    http.hub.close()
    return server.stop(true)
  })
  return { ...http, base: `http://127.0.0.1:${server.server!.port}` }
}

type Frame = { id?: string; data?: any; comment?: string }

/** Opens the stream and parses frames as they arrive. */
async function connect(base: string, token: string, query = '', headers: Record<string, string> = {}) {
  const ctrl = new AbortController()
  const res = await fetch(`${base}/api/v1/events/stream${query}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: ctrl.signal,
  })
  const frames: Frame[] = []
  const reading = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const f: Frame = {}
          for (const line of buf.slice(0, end).split('\n')) {
            if (line.startsWith('id: ')) f.id = line.slice(4)
            else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6))
            else if (line.startsWith(':')) f.comment = line.slice(1).trim()
          }
          frames.push(f)
          buf = buf.slice(end + 2)
        }
      }
    } catch {}
  })()
  stop.push(() => ctrl.abort())
  const events = () => frames.filter((f) => f.id)
  return { res, frames, events, close: () => (ctrl.abort(), reading) }
}

it('streams committed events with id: set to the event id and the envelope as data', async () => {
  const { base, key } = await serve()
  const c = await connect(base, key(['read']))
  expect(c.res.headers.get('content-type')).toContain('text/event-stream')
  const events = rig.emit(3)
  await waitFor(() => c.events().length === 3)
  expect(c.events().map((f) => f.id)).toEqual(events.map((e) => e.id))
  expect(c.events()[0]!.data).toMatchObject({ id: events[0]!.id, type: 'message.received', orgId: 'acme' })
})

it('resumes after Last-Event-ID without losing an event', async () => {
  const { base, key } = await serve()
  const token = key(['read'])
  const first = await connect(base, token)
  const before = rig.emit(5)
  await waitFor(() => first.events().length === 5)
  await first.close()
  const during = rig.emit(5) // committed while disconnected
  const second = await connect(base, token, '', { 'last-event-id': first.events().at(-1)!.id! })
  const after = rig.emit(2)
  await waitFor(() => second.events().length === 7)
  expect([...first.events(), ...second.events()].map((f) => f.id)).toEqual(
    [...before, ...during, ...after].map((e) => e.id),
  )
})

it('answers 400 to an unknown Last-Event-ID', async () => {
  const { base, key } = await serve()
  const c = await connect(base, key(['read']), '', { 'last-event-id': 'evt_nope' })
  expect(c.res.status).toBe(400)
})

it('sends heartbeat comments', async () => {
  const { base, key } = await serve({ heartbeatMs: 30 })
  const c = await connect(base, key(['read']))
  await waitFor(() => c.frames.filter((f) => f.comment === 'heartbeat').length >= 2, 2000)
})

it('applies the type and session filters', async () => {
  const { base, key } = await serve()
  const c = await connect(base, key(['read']), '?types=session.*&sessionId=s1')
  rig.emit(2, { type: 'message.received', sessionId: 's1' })
  rig.emit(1, { type: 'session.status', sessionId: 's2' })
  const [want] = rig.emit(1, { type: 'session.status', sessionId: 's1' })
  rig.emit(1, { type: 'session.qr', orgId: 'other', sessionId: 's1' })
  await waitFor(() => c.events().length === 1)
  expect(c.events()[0]!.id).toBe(want!.id)
})

// Ingest appends synchronously and never waits on a stream: the loop below commits while the stuck client is
// connected. (How long a commit takes is the benchmarks' business, not a test's.)
it('cuts off a client that never reads, while a reading client still gets every event', async () => {
  const { base, key, hub } = await serve({ bufferBytes: 64 * 1024, heartbeatMs: 100 })
  const token = key(['read'])
  const reader = await connect(base, token)
  const url = new URL(base)
  const stuck = net.connect(Number(url.port), url.hostname)
  stuck.pause() // reads nothing, ever
  stop.push(() => stuck.destroy())
  stuck.write(`GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)
  await waitFor(() => hub.size() === 2)
  const blob = 'x'.repeat(1000)
  let total = 0
  while (hub.size() === 2 && total < 40_000) {
    rig.emit(500, { data: (i) => ({ i, blob }) })
    total += 500
    await Bun.sleep(1) // let the hub and the sockets run between ingest batches
  }
  await waitFor(() => hub.size() === 1, 5000, 'the stuck client to be cut')
  await waitFor(() => reader.events().length === total, 10_000, 'the reading client to get everything')
})

it('starts after a pull-API cursor passed as ?after=', async () => {
  const { base, key, request } = await serve()
  rig.emit(2)
  const { nextCursor } = (await (await request('/api/v1/events')).json()) as { nextCursor: string }
  const missed = rig.emit(3) // committed after the pull, before the stream opened
  const c = await connect(base, key(['read']), `?after=${nextCursor}`)
  await waitFor(() => c.events().length === 3)
  expect(c.events().map((f) => f.id)).toEqual(missed.map((e) => e.id))
})
