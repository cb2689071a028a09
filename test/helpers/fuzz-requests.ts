// Generates hostile HTTP requests, deterministically from a seed: mutated API paths, percent-encodings,
// JIDs, cursors, limits, JSON bodies, content types, oversize bodies, header tricks and tokens.
import fc from 'fast-check'
import { routes } from './routes.ts'

export type FuzzRequest = { method: string; path: string; headers: Record<string, string>; body?: string }

export type FuzzContext = {
  /** A real session id of the caller's organisation, so deep routes are reached. */
  sid: string
  /** A valid admin key, a read-only key, and a cursor issued by the server. */
  adminKey: string
  readKey: string
  cursor: string
  maxBodyBytes: number
}

const jid = fc.oneof(
  fc.constantFrom(
    '6281234567890@s.whatsapp.net',
    '6281234567890%40s.whatsapp.net',
    '120363012345678901@newsletter',
    '120363012345678901%40newsletter',
    '205227043110953@lid',
    '123-456@g.us',
    'status@broadcast',
    '@',
    '%40',
    'a@b@c',
    '6281234567890:12@s.whatsapp.net',
  ),
  fc.string({ maxLength: 24 }).map(encodeURIComponent),
)
const segment = fc.oneof(
  jid,
  fc.constantFrom('api', 'v1', 'sessions', 'chats', 'channels', 'messages', 'qr', 'api-keys', 'webhooks', 'events'),
  fc.constantFrom('..', '.', '', '%', '%zz', '%E0%A4%A', '%00', '%2F', 'a:b:c', ':follow', '%3Amute', 'x'.repeat(300)),
)

function arbitrary(ctx: FuzzContext) {
  const templates = routes.map((r) => r.path)
  const fill = (p: string, s: string) =>
    p.replace('{sid}', ctx.sid).replace('{key}', s).replace('{webhook}', s).replace('{delivery}', s)
  const path = fc.oneof(
    fc.array(segment, { maxLength: 7 }).map((s) => '/' + s.join('/')),
    fc.constantFrom(...templates).map((p) => fill(p, 'nope')),
    fc.tuple(fc.constantFrom(...templates), segment).map(([p, s]) => fill(p.replace('{sid}', s), s)),
    fc.tuple(fc.constantFrom(...templates), segment).map(([p, s]) => fill(p, 'x') + '/' + s),
  )
  const limit = fc.oneof(
    fc.integer({ min: -5, max: 500 }).map(String),
    fc.constantFrom('', 'abc', '1.5', '-0', '1e9', '1e400', 'NaN', '0x10', '50%00', ' 5'),
  )
  const cursor = fc.oneof(
    fc.constant(ctx.cursor),
    fc.constantFrom(
      '',
      '.',
      'abc',
      'eyJ.x',
      '50',
      ctx.cursor + 'A',
      ctx.cursor.slice(1),
      ctx.cursor.replace('.', '..'),
    ),
    fc.string({ maxLength: 80 }),
    fc.base64String({ maxLength: 80 }),
  )
  const query = fc
    .record(
      { limit, cursor, after: cursor, types: fc.constantFrom('message.*', '*', ',,', 'x'.repeat(500)), sessionId: jid },
      { requiredKeys: [] },
    )
    .map((q) => new URLSearchParams(q as Record<string, string>).toString())
  const bodyOf = fc.oneof(
    fc.constant(undefined),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 300 }),
    fc.constantFrom(
      '{"name":"x","start":"yes"}',
      '{"name":"","metadata":[]}',
      '{"name":"ok","metadata":"str"}',
      '{"to":"123","text":""}',
      '{"to":"6281234567890","text":"hi","mentions":["x"]}',
      '{"url":"ftp://x","events":["*"]}',
      '{"url":"http://127.0.0.1:1/hook","events":[]}',
      '{"name":"k","capabilities":["root"]}',
      '{"mute":"no"}',
      '{"phone":"+0"}',
      '[]',
      'null',
      '{"__proto__":{"admin":true}}',
      '{"a":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
    ),
    fc.constant('x'.repeat(ctx.maxBodyBytes + 10)),
  )
  const token = fc.oneof(
    fc.constantFrom(`Bearer ${ctx.adminKey}`, `Bearer ${ctx.readKey}`, `bearer ${ctx.adminKey}`),
    fc.constantFrom(
      '',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      'Bearer x.y.z',
      'Bearer eyJhbGciOiJub25lIn0.eyJvcmdfaWQiOiJhY21lIn0.',
      `Bearer ${ctx.adminKey.slice(0, -3)}AAA`,
      `Bearer ${ctx.adminKey}, Bearer ${ctx.readKey}`,
      `Bearer  ${ctx.adminKey}`,
      'Bearer ' + 'A'.repeat(4000),
    ),
  )
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
      path,
      query,
      body: bodyOf,
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        '',
      ),
      token,
      extra: fc.constantFrom<Record<string, string>>(
        {},
        { 'idempotency-key': 'k1' },
        { 'idempotency-key': 'x'.repeat(400) },
        { accept: 'image/png' },
        { 'last-event-id': 'evt_nope' },
        { 'x-request-id': 'r'.repeat(500) },
        { 'x-forwarded-for': '10.0.0.1' },
      ),
    })
    .map((r): FuzzRequest => {
      const headers: Record<string, string> = { ...r.extra }
      if (r.contentType) headers['content-type'] = r.contentType
      if (r.token) headers.authorization = r.token
      const hasBody = r.body !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(r.method)
      return {
        method: r.method,
        path: r.path + (r.query ? `?${r.query}` : ''),
        headers,
        ...(hasBody ? { body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) } : {}),
      }
    })
}

/** `count` requests, the same ones for the same seed and context. */
export function fuzzRequests(ctx: FuzzContext, seed: number, count: number): FuzzRequest[] {
  return fc.sample(arbitrary(ctx), { seed, numRuns: count })
}

/** Why a response breaks the contract, or null when it keeps it. */
export function contractViolation(status: number, contentType: string | null, text: string): string | null {
  if (status >= 500) return `status ${status}`
  if (status < 400) return null
  if (!contentType?.includes('application/json')) return `error without a JSON body (${contentType})`
  let body: { error?: { code?: unknown; message?: unknown; details?: unknown } }
  try {
    body = JSON.parse(text)
  } catch {
    return 'error body is not JSON'
  }
  const e = body.error
  if (typeof e?.code !== 'string' || typeof e.message !== 'string' || typeof e.details !== 'object' || !e.details)
    return 'error body is not the envelope'
  if (/at .+\.[jt]s:\d+|node_modules|\/\$bunfs/.test(text)) return 'error body leaks a stack trace'
  return null
}
