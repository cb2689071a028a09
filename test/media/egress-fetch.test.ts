// Fetching under the egress policy, against real servers on 127.0.0.1 only: the checked address is the one
// connected to, Host and TLS name stay the URL's, redirects are re-checked per hop, bodies are capped.
// Refusals are proved without a packet: the policy refuses before any connection is opened.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { createEgress, EgressError, parseAllowList } from '../../src/media/egress.ts'
import { tableLookup } from '../helpers/lookup.ts'

const fixtures = join(import.meta.dir, 'fixtures')
const hits: { path: string; host: string | null }[] = []
let plain: ReturnType<typeof Bun.serve>
let secure: ReturnType<typeof Bun.serve>
let cert: string

beforeAll(async () => {
  cert = await Bun.file(join(fixtures, 'hook.test.crt')).text()
  const handler = (req: Request) => {
    const url = new URL(req.url)
    hits.push({ path: url.pathname, host: req.headers.get('host') })
    const to = url.searchParams.get('to')
    if (url.pathname === '/redirect') return new Response(null, { status: 302, headers: { location: to! } })
    if (url.pathname === '/big') return new Response('x'.repeat(2000))
    if (url.pathname === '/stream')
      return new Response(
        new ReadableStream({
          start(c) {
            for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(600))
            c.close()
          },
        }),
      )
    if (url.pathname === '/slow') return Bun.sleep(2000).then(() => new Response('late'))
    return new Response(`hello ${req.headers.get('host')}`, {
      headers: { 'x-auth': req.headers.get('authorization') ?? '' },
    })
  }
  plain = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler })
  const key = await Bun.file(join(fixtures, 'hook.test.key')).text()
  secure = Bun.serve({ hostname: '127.0.0.1', port: 0, tls: { cert, key }, fetch: handler })
})
afterAll(() => {
  plain.stop(true)
  secure.stop(true)
})

const lookup = tableLookup({ 'hook.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'], localhost: ['127.0.0.1'] })
const loopback = createEgress({ allow: parseAllowList('127.0.0.0/8').allow, lookup })
const at = (path: string, host = '127.0.0.1') => `http://${host}:${plain.port}${path}`
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: EgressError) => [e.reason, e.message],
  )

describe('egress fetch', () => {
  it('connects to the resolved address with the Host header of the URL', async () => {
    const res = await loopback.fetch(at('/', 'hook.test'))
    expect(await res.text()).toBe(`hello hook.test:${plain.port}`)
  })

  it('verifies TLS against the URL host while connecting to its address', async () => {
    const res = await loopback.fetch(`https://hook.test:${secure.port}/`, { tls: { ca: cert } })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(`hello hook.test:${secure.port}`)
  })

  it('refuses a certificate that does not name the URL host', async () => {
    const err = await loopback.fetch(`https://other.test:${secure.port}/`, { tls: { ca: cert } }).catch((e) => e)
    expect(String(err)).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('returns a redirect as it is, without following it', async () => {
    const before = hits.length
    const res = await loopback.fetch(at(`/redirect?to=${encodeURIComponent(at('/'))}`))
    expect(res.status).toBe(302)
    expect(hits.length - before).toBe(1)
  })

  it('refuses loopback by default, before connecting', async () => {
    const before = hits.length
    const strict = createEgress({ lookup })
    expect(await failure(strict.fetch(at('/')))).toEqual(['refused', '127.0.0.1 is a loopback address'])
    expect(await failure(strict.fetch(at('/', 'localhost')))).toEqual([
      'refused',
      'localhost resolves to 127.0.0.1, a loopback address',
    ])
    expect(hits.length).toBe(before)
  })

  it('checks the address resolved at connect time, not the one seen at validation (DNS rebinding)', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']]
    const rebinding = createEgress({ lookup: async () => answers.shift()! })
    const before = hits.length
    await rebinding.checkUrl(at('/', 'rebind.test'))
    expect(await failure(rebinding.fetch(at('/', 'rebind.test')))).toEqual([
      'refused',
      'rebind.test resolves to 127.0.0.1, a loopback address',
    ])
    expect(hits.length).toBe(before)
  })
})

describe('egress fetch: checked routes kept for routeTtlMs', () => {
  const counting = (answers: string[][]) => {
    const asked: string[] = []
    const lookup = async (host: string) => {
      asked.push(host)
      return answers.length > 1 ? answers.shift()! : answers[0]!
    }
    return { asked, lookup }
  }
  const allowLoopback = parseAllowList('127.0.0.0/8').allow

  it('resolves a name once within the TTL and keeps connecting to the address it checked', async () => {
    const { asked, lookup } = counting([['127.0.0.1'], ['10.0.0.1']])
    const egress = createEgress({ allow: allowLoopback, lookup, routeTtlMs: 60_000 })
    const first = await egress.fetch(at('/', 'kept.test'))
    const second = await egress.fetch(at('/', 'kept.test'))
    expect([await first.text(), await second.text()]).toEqual([
      `hello kept.test:${plain.port}`,
      `hello kept.test:${plain.port}`,
    ])
    expect(asked).toEqual(['kept.test'])
  })

  it('resolves and checks again once the TTL is over', async () => {
    const { asked, lookup } = counting([['127.0.0.1'], ['10.0.0.1']])
    const egress = createEgress({ allow: allowLoopback, lookup, routeTtlMs: 0 })
    expect((await egress.fetch(at('/', 'kept.test'))).status).toBe(200)
    expect(await failure(egress.fetch(at('/', 'kept.test')))).toEqual([
      'refused',
      'kept.test resolves to 10.0.0.1, a private address',
    ])
    expect(asked).toEqual(['kept.test', 'kept.test'])
  })

  it('keeps no refusal: the next request resolves and checks again', async () => {
    const { asked, lookup } = counting([['10.0.0.1'], ['127.0.0.1']])
    const egress = createEgress({ allow: allowLoopback, lookup, routeTtlMs: 60_000 })
    expect(await failure(egress.fetch(at('/', 'kept.test')))).toEqual([
      'refused',
      'kept.test resolves to 10.0.0.1, a private address',
    ])
    expect((await egress.fetch(at('/', 'kept.test'))).status).toBe(200)
    expect(asked).toEqual(['kept.test', 'kept.test'])
  })

  it('does not keep what checkUrl resolved: the first request resolves for itself', async () => {
    const { asked, lookup } = counting([['127.0.0.2'], ['127.0.0.1']])
    const egress = createEgress({ allow: allowLoopback, lookup, routeTtlMs: 60_000 })
    await egress.checkUrl(at('/', 'kept.test'))
    const before = hits.length
    expect((await egress.fetch(at('/', 'kept.test'))).status).toBe(200)
    expect(hits.length - before).toBe(1)
    expect(asked).toEqual(['kept.test', 'kept.test'])
  })
})

describe('egress get (media URLs)', () => {
  const opts = { maxBytes: 1000, timeoutMs: 5000, maxRedirects: 2 }

  it('follows redirects up to the limit and reports the final URL', async () => {
    const { url, response } = await loopback.get(at(`/redirect?to=${encodeURIComponent(at('/done'))}`), opts)
    expect(url).toBe(at('/done'))
    expect(await response.text()).toBe(`hello 127.0.0.1:${plain.port}`)
  })

  it('fails past the redirect limit', async () => {
    const hop = (to: string) => at(`/redirect?to=${encodeURIComponent(to)}`)
    expect(await failure(loopback.get(hop(hop(hop(at('/')))), opts))).toEqual([
      'too_many_redirects',
      'more than 2 redirects',
    ])
  })

  it('re-checks every hop: a redirect to a refused address is refused before it is followed', async () => {
    const onlyHook = createEgress({ allow: parseAllowList('hook.test').allow, lookup })
    const before = hits.length
    const start = at(`/redirect?to=${encodeURIComponent(at('/secret'))}`, 'hook.test')
    expect(await failure(onlyHook.get(start, opts))).toEqual(['refused', '127.0.0.1 is a loopback address'])
    expect(hits.slice(before).map((h) => h.path)).toEqual(['/redirect'])
  })

  it('drops credentials when a redirect changes origin', async () => {
    const start = at(`/redirect?to=${encodeURIComponent(at('/', 'other.test'))}`, 'hook.test')
    const { response } = await loopback.get(start, { ...opts, headers: { authorization: 'Bearer s3cret' } })
    expect(response.headers.get('x-auth')).toBe('')
  })

  it('refuses a body whose Content-Length is over the cap', async () => {
    expect(await failure(loopback.get(at('/big'), opts))).toEqual([
      'too_large',
      'the response is larger than 1000 bytes',
    ])
  })

  it('fails the stream of a body that grows past the cap', async () => {
    const { response } = await loopback.get(at('/stream'), opts)
    const err = await response.arrayBuffer().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EgressError)
    expect((err as EgressError).reason).toBe('too_large')
  })

  it('gives up after the timeout', async () => {
    expect(await failure(loopback.get(at('/slow'), { ...opts, timeoutMs: 100 }))).toEqual([
      'timeout',
      'no answer within 100 ms',
    ])
  })

  it('refuses a redirect to a scheme other than http(s)', async () => {
    expect(await failure(loopback.get(at(`/redirect?to=${encodeURIComponent('file:///etc/passwd')}`), opts))).toEqual([
      'invalid_url',
      'not an http(s) URL',
    ])
  })
})
