// Link previews end to end: a text with a URL is sent with WhatsApp's preview fields (title, description, the URL,
// a small JPEG thumbnail) made from a page served on 127.0.0.1 through the egress policy (allowed with
// --egress-allow 127.0.0.1); `linkPreview: false`, a refused address and a page that never answers send the text
// without one. The phone's decrypted copy shows what arrived.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { createEgress, parseAllowList } from '../../src/media/egress.ts'
import { createLinkPreviewer } from '../../src/media/link-preview.ts'
import { quietLibsignal } from '../simulator/harness.ts'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15557400001'
const BOB = '15557400002'
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
const PAGE = `<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="Caf&eacute; &amp; Bar — Menu">
<meta property="og:description" content="Open daily &#8211; 8 to 20">
<meta property="og:image" content="/logo.png">
</head><body>${'x'.repeat(1000)}</body></html>`

let h: Harness
let sid: string
let pages: ReturnType<typeof Bun.serve>
const hits: string[] = []

afterAll(quietLibsignal())
beforeAll(async () => {
  pages = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname
      hits.push(path)
      if (path === '/logo.png') return new Response(PNG, { headers: { 'content-type': 'image/png' } })
      if (path === '/hang') return new Promise<Response>(() => {})
      return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } })
    },
  })
  // The operator allowed 127.0.0.1 only: [::1] stays refused.
  const egress = createEgress({ allow: parseAllowList('127.0.0.1').allow, lookup: async () => [] })
  h = await startHarness({ linkPreviews: createLinkPreviewer(egress, { timeoutMs: 1_000 }) })
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
}, 60_000)
afterAll(async () => {
  await h.close()
  pages.stop(true)
})

type Received = { id: string; kind: string; text: string; linkPreview?: Record<string, string | null> }

/** Sends `text` (and options) to Bob; what Bob's phone decrypted. */
async function sendText(text: string, more: Record<string, unknown> = {}): Promise<Received> {
  const m = await h.supervisor.send(sid, { to: BOB, text, ...more })
  return waitFor(
    `${m.id} reaches Bob`,
    async () =>
      ((await h.control('GET', `/accounts/${BOB}/messages`)).body.data as Received[]).find((r) => r.id === m.id),
    15_000,
  )
}

it("sends a text's first URL with a preview: title, description, URL and a JPEG thumbnail of the page's image", async () => {
  const url = `http://127.0.0.1:${pages.port}/menu?x=1`
  const got = await sendText(`Our menu: ${url}.`)
  expect(got.text).toBe(`Our menu: ${url}.`)
  expect(got.linkPreview).toEqual({
    url,
    title: 'Café & Bar — Menu',
    description: 'Open daily – 8 to 20',
    thumbnail: expect.any(String),
  })
  const thumb = Buffer.from(got.linkPreview!.thumbnail!, 'base64')
  expect([...thumb.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
  expect(hits).toContain('/logo.png')
})

it('sends no preview and fetches nothing with linkPreview: false', async () => {
  const before = hits.length
  const got = await sendText(`plain http://127.0.0.1:${pages.port}/nopreview`, { linkPreview: false })
  expect(got.linkPreview).toBeUndefined()
  expect(hits.length).toBe(before)
})

it('sends without a preview when the address is refused by the egress policy', async () => {
  const before = hits.length
  const got = await sendText(`loopback not allowed: http://[::1]:${pages.port}/page`)
  expect(got.kind).toBe('text')
  expect(got.linkPreview).toBeUndefined()
  expect(hits.length).toBe(before)
})

it('sends without a preview when the page does not answer within the deadline', async () => {
  const got = await sendText(`slow http://127.0.0.1:${pages.port}/hang`)
  expect(got.text).toBe(`slow http://127.0.0.1:${pages.port}/hang`)
  expect(got.linkPreview).toBeUndefined()
})
