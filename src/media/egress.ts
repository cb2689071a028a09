// The egress policy: every URL the gateway connects to on a tenant's behalf (webhook deliveries, media URLs)
// goes through here. The host is resolved here, every resolved address is checked, and the connection goes to
// the checked address itself (the Host header and TLS SNI/certificate name stay the URL's host), so a DNS
// answer that changes between the check and the connect (rebinding) cannot slip through. Loopback, private,
// link-local, unique-local, CGNAT, metadata and other special addresses are refused unless the operator
// allows them with --egress-allow / WAGATE_EGRESS_ALLOW (hosts and CIDRs).
//
// For media URLs (m-recv, m-send):
//   const { url, response } = await egress.get(link, { maxBytes: 64 << 20, timeoutMs: 30_000, maxRedirects: 3 })
// follows at most `maxRedirects` redirects, re-checking each hop, and caps the body; failures are EgressError
// with a `reason` a route can turn into 400 validation_error. Webhooks use `egress.fetch` (never a redirect).
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { inCidr, parseCidr, parseIp, refusedRange, type Cidr } from './ip-ranges.ts'

export { refusedRange } from './ip-ranges.ts'

export type EgressReason = 'invalid_url' | 'refused' | 'unresolvable' | 'too_many_redirects' | 'too_large' | 'timeout'

/** A URL the policy will not fetch, or a fetch that broke one of its limits. `reason` is stable; the message is safe to show. */
export class EgressError extends Error {
  constructor(
    readonly reason: EgressReason,
    message: string,
  ) {
    super(message)
    this.name = 'EgressError'
  }
}

/** Resolves a host name to its addresses (tests inject one that never touches the network). */
export type Lookup = (host: string) => Promise<string[]>

export const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address)

export type AllowList = { cidrs: Cidr[]; hosts: Set<string> }

const HOST = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,62}[a-z0-9_])?)*$/
const normHost = (h: string) =>
  h
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')

/** Parses `127.0.0.0/8,::1,hooks.internal`; every entry that is neither a CIDR, an address nor a host name is a problem. */
export function parseAllowList(text: string): { allow: AllowList; problems: string[] } {
  const allow: AllowList = { cidrs: [], hosts: new Set() }
  const problems: string[] = []
  for (const raw of text.split(',')) {
    const entry = raw.trim()
    if (!entry) continue
    const cidr = parseCidr(entry.replace(/^\[|\](?=\/|$)/g, ''))
    if (cidr) allow.cidrs.push(cidr)
    else if (!entry.includes('/') && HOST.test(normHost(entry))) allow.hosts.add(normHost(entry))
    else problems.push(`"${entry}" is not a host name, an IP address or a CIDR`)
  }
  return { allow, problems }
}

export type GetOptions = {
  /** Largest body accepted: a larger Content-Length fails at once, a longer body fails the stream. */
  maxBytes: number
  /** For the whole fetch, body included. */
  timeoutMs: number
  /** Redirects followed, each re-checked against the policy (0: none). */
  maxRedirects: number
  headers?: ConstructorParameters<typeof Headers>[0]
  /** Extra TLS options (a CA to trust); the server name is always the URL's host. */
  tls?: BunFetchRequestInit['tls']
  signal?: AbortSignal
}

export type Egress = ReturnType<typeof createEgress>

const article = (range: string) => (/^(un[^i]|[aeio])/.test(range) ? `an ${range}` : `a ${range}`)

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** A body stream that errors once more than `max` bytes went through. */
function capped(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        seen += chunk.length
        if (seen > max) out.error(new EgressError('too_large', `the response is larger than ${max} bytes`))
        else out.enqueue(chunk)
      },
    }),
  )
}

/** Rejects when `signal` aborts first (dns.lookup cannot be cancelled). */
function racing<T>(p: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return p
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}

/** Routes kept per egress policy: webhook URLs and recent media hosts; past it the cache starts over. */
const MAX_ROUTES = 1024

/**
 * The request's headers with `host` set. A plain object (what webhook deliveries pass) stays a plain object:
 * building a Headers instance per request showed in the delivery profile.
 */
function withHost(headers: BunFetchRequestInit['headers'], host: string): BunFetchRequestInit['headers'] {
  if (headers && !(headers instanceof Headers) && !Array.isArray(headers)) {
    const out: Record<string, string> = { host }
    const given = headers as Record<string, string>
    for (const k in given) if (k.toLowerCase() !== 'host') out[k] = given[k]!
    return out
  }
  const h = new Headers(headers)
  h.set('host', host)
  return h
}

export function createEgress(opts: { allow?: AllowList; lookup?: Lookup; routeTtlMs?: number } = {}) {
  const allow = opts.allow ?? { cidrs: [], hosts: new Set<string>() }
  const lookup = opts.lookup ?? systemLookup
  const routeTtlMs = opts.routeTtlMs ?? 1000

  /** The refused range `address` is in when reached for `host`, or null when the connection may go ahead. */
  function refusedFor(address: string, host?: string): string | null {
    const range = refusedRange(address)
    if (!range) return null
    if (host !== undefined && allow.hosts.has(normHost(host))) return null
    const bytes = parseIp(address)
    if (bytes && allow.cidrs.some((c) => inCidr(bytes, c))) return null
    return range
  }

  /** Why connecting to `address` (for the URL host `host`) is refused, or null when it may go ahead. */
  function refusal(address: string, host?: string): string | null {
    const range = refusedFor(address, host)
    return range && `${address} is ${article(range)} address`
  }

  function parse(url: string | URL): URL {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new EgressError('invalid_url', 'not a valid URL')
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new EgressError('invalid_url', 'not an http(s) URL')
    return u
  }

  /** The addresses of the URL's host, each checked; throws EgressError when it has none or any is refused. */
  async function resolve(u: URL, signal?: AbortSignal | null): Promise<string[]> {
    const host = normHost(u.hostname)
    let addresses: string[]
    if (isIP(host)) addresses = [host]
    else {
      try {
        addresses = await racing(lookup(host), signal)
      } catch (e) {
        if (signal?.aborted) throw e
        throw new EgressError('unresolvable', `${host} does not resolve`)
      }
      if (!addresses.length) throw new EgressError('unresolvable', `${host} does not resolve`)
    }
    for (const a of addresses) {
      const range = refusedFor(a, host)
      if (!range) continue
      const what = `${article(range)} address`
      throw new EgressError('refused', host === a ? `${a} is ${what}` : `${host} resolves to ${a}, ${what}`)
    }
    return addresses
  }

  /** Where a request for a URL goes once checked: the checked address, and the Host / TLS name it keeps. */
  type Route = { target: string; host: string; serverName: string | null; until: number }
  const routes = new Map<string, Route>()

  /**
   * The checked route of a URL. A webhook POSTs to the same URL thousands of times a second, so a route is kept
   * for `routeTtlMs`: within it a changed DNS answer is not seen, and requests keep going to the address that was
   * checked (never to an unchecked one). Only routes that passed are kept; a refusal is decided afresh each time.
   */
  function kept(url: string | URL): Route | undefined {
    const r = routes.get(typeof url === 'string' ? url : url.href)
    return r && r.until > Date.now() ? r : undefined
  }

  async function route(url: string | URL, signal?: AbortSignal | null): Promise<Route> {
    const u = parse(url)
    const [address] = await resolve(u, signal)
    const target = new URL(u)
    target.hostname = address!.includes(':') ? `[${address}]` : address!
    const named = !isIP(normHost(u.hostname))
    const r = {
      target: target.href,
      host: u.host,
      serverName: u.protocol === 'https:' && named ? normHost(u.hostname) : null,
      until: Date.now() + routeTtlMs,
    }
    if (routeTtlMs > 0) {
      if (routes.size >= MAX_ROUTES) routes.clear()
      routes.set(typeof url === 'string' ? url : url.href, r)
    }
    return r
  }

  /**
   * One request, no redirect followed (a 3xx comes back as it is): the host is resolved and checked (or its route
   * was, within `routeTtlMs`) and the request goes to the checked address, with the URL's host in the Host header
   * and as the TLS server name.
   */
  function egressFetch(url: string | URL, init: BunFetchRequestInit = {}): Promise<Response> {
    const send = (r: Route) => {
      const tls = r.serverName ? { ...init.tls, serverName: r.serverName } : init.tls
      return fetch(r.target, {
        ...init,
        headers: withHost(init.headers, r.host),
        tls,
        redirect: 'manual',
        proxy: false,
      })
    }
    // A kept route sends at once: no await between the caller and fetch (that showed in the delivery profile).
    const r = kept(url)
    return r ? send(r) : route(url, init.signal).then(send)
  }

  /**
   * GETs a media URL under the policy: at most `maxRedirects` redirects (each hop re-checked; credentials are
   * dropped when the origin changes), a body capped at `maxBytes`, all within `timeoutMs`. Resolves with the
   * final URL and its response (any status; the caller decides), or rejects with an EgressError (or the
   * timeout's TimeoutError while reading the body).
   */
  async function get(url: string | URL, o: GetOptions): Promise<{ url: string; response: Response }> {
    const timeout = AbortSignal.timeout(o.timeoutMs)
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout
    let current = parse(url)
    const headers = new Headers(o.headers)
    for (let hop = 0; ; hop++) {
      let res: Response
      try {
        res = await egressFetch(current, { method: 'GET', headers, signal, ...(o.tls ? { tls: o.tls } : {}) })
      } catch (e) {
        if (timeout.aborted) throw new EgressError('timeout', `no answer within ${o.timeoutMs} ms`)
        throw e
      }
      const location = res.headers.get('location')
      if (REDIRECTS.has(res.status) && location) {
        await res.body?.cancel()
        if (hop >= o.maxRedirects) throw new EgressError('too_many_redirects', `more than ${o.maxRedirects} redirects`)
        const next = parse(new URL(location, current))
        if (next.origin !== current.origin) for (const h of ['authorization', 'cookie']) headers.delete(h)
        current = next
        continue
      }
      const declared = Number(res.headers.get('content-length') ?? NaN)
      if (declared > o.maxBytes) {
        await res.body?.cancel()
        throw new EgressError('too_large', `the response is larger than ${o.maxBytes} bytes`)
      }
      const body = res.body ? capped(res.body, o.maxBytes) : null
      return { url: current.href, response: new Response(body, { status: res.status, headers: res.headers }) }
    }
  }

  /**
   * Validation for a URL a tenant configures (a webhook): throws EgressError when it is not http(s) or its host
   * is, or resolves to, a refused address. A name that does not resolve now passes (it is checked again on
   * every connection).
   */
  async function checkUrl(url: string): Promise<void> {
    const u = parse(url)
    try {
      await resolve(u)
    } catch (e) {
      if (!(e instanceof EgressError) || e.reason !== 'unresolvable') throw e
    }
  }

  return { refusal, resolve, fetch: egressFetch, get, checkUrl }
}
