// The send queue's size per session, which the API checks on every accept (429 when full): kept by trigger on both
// dialects, so it must follow every way a row enters or leaves the queue.
import { describe, expect, it } from 'bun:test'
import type { OutboundContent } from '../../src/domain/outbound.ts'
import { emptyBatch } from '../../src/whatsapp/records.ts'
import { BOB, dialects, useIngest, type Harness } from './fixture.ts'

const text = (t: string): OutboundContent => ({ kind: 'text', text: t, linkPreview: false })

describe.each(dialects)('%s', (dialect) => {
  let h: Harness
  useIngest(dialect, (x) => (h = x))

  const accept = (sid: string, waId: string) => h.ingest.accept(sid, null, { chatJid: BOB, waId, content: text(waId) })

  it('is 0 for a session that never queued anything', async () => {
    expect(await h.ingest.queue.size('s')).toBe(0)
  })

  it('counts each accepted operation of the session', async () => {
    for (const id of ['A', 'B', 'C']) await accept('s', id)
    expect(await h.ingest.queue.size('s')).toBe(3)
  })

  it('counts the sessions apart', async () => {
    await h.exec("INSERT INTO sessions (id, org_id, name) VALUES ('s2', 'o', 'other')")
    await accept('s', 'A')
    await accept('s2', 'B')
    await accept('s2', 'C')
    expect([await h.ingest.queue.size('s'), await h.ingest.queue.size('s2')]).toEqual([1, 2])
  })

  it('goes down by one when a send is done', async () => {
    await accept('s', 'A')
    await accept('s', 'B')
    await h.ingest.sendDone('s', (await h.ingest.queue.head('s'))!, emptyBatch())
    expect(await h.ingest.queue.size('s')).toBe(1)
  })

  it('keeps an operation that will be retried and drops one that failed for good', async () => {
    await accept('s', 'A')
    await accept('s', 'B')
    const job = (await h.ingest.queue.head('s'))!
    await h.ingest.sendFailed('s', job, 'try again', false, 5)
    expect(await h.ingest.queue.size('s')).toBe(2)
    await h.ingest.sendFailed('s', job, 'gave up', true, 0)
    expect(await h.ingest.queue.size('s')).toBe(1)
  })

  it('is 0 again once the queue drained, and counts new accepts from there', async () => {
    await accept('s', 'A')
    await h.ingest.sendDone('s', (await h.ingest.queue.head('s'))!, emptyBatch())
    expect(await h.ingest.queue.size('s')).toBe(0)
    await accept('s', 'B')
    expect(await h.ingest.queue.size('s')).toBe(1)
  })

  it('leaves no count behind when the session is deleted with its queue', async () => {
    await accept('s', 'A')
    await h.exec("DELETE FROM sessions WHERE id = 's'")
    expect(await h.all('SELECT * FROM outbound_queue_sizes')).toEqual([])
    expect(await h.ingest.queue.size('s')).toBe(0)
  })
})
