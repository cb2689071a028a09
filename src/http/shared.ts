// Pieces every route file uses: page query and page schemas, error responses, path-id checks.
import { t, type HTTPHeaders, type Static, type TSchema } from 'elysia'
import type { Principal } from '../domain/capability.ts'
import { clampLimit } from '../domain/page.ts'
import { AppError, notFound } from '../errors.ts'
import type { Repos } from '../store/contract.ts'

const pageQuerySchema = t.Object({
  limit: t.Optional(
    t.Integer({ minimum: 0, description: 'Page size; missing or 0 → 50, clamped to 1–200', examples: [50] }),
  ),
  cursor: t.Optional(t.String({ maxLength: 512, description: 'Opaque nextCursor from the previous page' })),
})
type PageParams = { limit?: number; cursor?: string }
type Issue = { message: string; path: string[] }

/**
 * The same rules as the TypeBox schema, in one pass over the parsed query: `limit` a string Elysia's own integer
 * coercion accepts (non-empty, `+limit` an integer) that is ≥ 0, `cursor` at most 512 characters; other
 * parameters are ignored (as Elysia's cleaning drops them).
 */
function validatePageQuery(value: unknown): { value: PageParams } | { issues: Issue[] } {
  const q = value as Record<string, unknown>
  const out: PageParams = {}
  let issues: Issue[] | undefined
  const { limit, cursor } = q
  if (limit !== undefined) {
    const n = typeof limit === 'string' && limit !== '' ? +limit : NaN
    if (Number.isInteger(n) && n >= 0) out.limit = n
    else (issues ??= []).push({ message: 'Expected a non-negative integer', path: ['limit'] })
  }
  if (cursor !== undefined) {
    if (typeof cursor === 'string' && cursor.length <= 512) out.cursor = cursor
    else (issues ??= []).push({ message: 'Expected a string of at most 512 characters', path: ['cursor'] })
  }
  return issues ? { issues } : { value: out }
}

/**
 * The page query: the TypeBox schema (what the OpenAPI document declares, and what composes into larger query
 * schemas) that is also a Standard Schema. Elysia validates a route's standard schema with that one `validate`
 * call, where for the TypeBox one it cleans, checks and runs the `limit` coercion's transform decode — twice
 * (Elysia 1.4.30) — on every listing request.
 */
export const PageQuery = Object.assign(pageQuerySchema, {
  '~standard': {
    version: 1 as const,
    vendor: 'wagate',
    validate: validatePageQuery,
    types: undefined as unknown as { input: unknown; output: PageParams },
  },
})

/** The page query as the repositories want it (the spec clamps rather than rejects). */
export const pageOf = (q: { limit?: number; cursor?: string }) => ({
  limit: clampLimit(q.limit),
  ...(q.cursor ? { cursor: q.cursor } : {}),
})

export const PageOf = <T extends TSchema>(item: T) =>
  t.Object({
    data: t.Array(item),
    nextCursor: t.Union([t.String(), t.Null()], { description: 'Pass back as cursor; null on the last page' }),
  })

/**
 * A hot read route's body as a ready Response: Elysia neither validates nor re-copies (normalises) what the
 * handler returns when it is a Response, a pass that cost a third of the app's overhead over the raw route. Only for
 * bodies the store's row mappers shape exactly as `schema` (typed here, checked against it in
 * test/http/served.test.ts); the OpenAPI document still declares `schema` from the route's `response`.
 * The headers set so far (the request id) go on the Response itself and leave `set`: a Response returned with
 * `set.headers` still pending is rebuilt by Elysia (headers copied, body re-wrapped as a stream) to merge them.
 */
export function served<S extends TSchema>(set: { headers: HTTPHeaders }, _schema: S, body: Static<S>): Response {
  const response = Response.json(body, { headers: set.headers as Record<string, string> })
  set.headers = {}
  return response
}

/** Error responses documented on every authenticated route. */
export const errors = { 400: 'error', 401: 'error', 403: 'error', 404: 'error' } as const

/** A path segment that failed percent-decoding arrives as null: reject it as bad input. */
export function pathId(value: string | null | undefined, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new AppError('validation_error', `invalid path parameter ${name}`, { field: name })
  return value
}

/** Splits `<id>:<verb>` (AIP custom methods); the id itself may contain ':' only before the last one. */
export function splitVerb(value: string | null | undefined, name: string): { id: string; verb: string } {
  const v = pathId(value, name)
  const at = v.lastIndexOf(':')
  if (at <= 0) throw new AppError('not_found', 'route not found')
  return { id: v.slice(0, at), verb: v.slice(at + 1) }
}

/**
 * The `<verb>` of a collection custom method (`POST …/groups:join`), routed as `'/groups:*'`: the router cannot
 * name a parameter in the middle of a segment, so the wildcard carries the verb.
 */
export const verbOf = (params: object): string => (params as Record<string, string | undefined>)['*'] ?? ''

/** The caller's session id or 404, from the ownership cache: for routes that need nothing else of the session. */
export async function ownSessionId(
  sessions: Repos['sessions'],
  principal: Principal,
  sid: string | null | undefined,
): Promise<string> {
  const id = pathId(sid, 'sid')
  if (!(await sessions.owns(principal.orgId, id))) throw notFound('session')
  return id
}

/** The caller's session or 404 — another organisation's session is indistinguishable from none. */
export async function ownSession(sessions: Repos['sessions'], principal: Principal, sid: string | null | undefined) {
  const session = await sessions.get(principal.orgId, pathId(sid, 'sid'))
  if (!session) throw notFound('session')
  return session
}
