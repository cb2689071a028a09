// Names the API's shapes in the document. @elysiajs/openapi writes every route's TypeBox schema inline, so a
// Message is spelled out in each operation that returns one. Every inline copy of a named schema becomes a $ref to
// components.schemas.<Name>: the document shrinks, and a generated client gets one named type per shape
// (components['schemas']['Message']).
import { unwrapSchema } from '@elysiajs/openapi/openapi'
import type { TSchema } from 'elysia'

type Json = Record<string, unknown>
type Media = Record<string, unknown>
type Documented = {
  paths: Record<string, Record<string, { requestBody?: { content?: Media }; responses?: Record<string, unknown> }>>
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> }
  webhooks?: Record<string, Record<string, { requestBody?: { content?: Media } }>>
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The same text for the same JSON value, whatever the key order. */
function shape(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(shape).join(',')}]`
  if (!isObject(v)) return JSON.stringify(v) ?? 'null'
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${shape(v[k])}`).join(',')}}`
}

const toJson = (schema: unknown) => unwrapSchema(schema as TSchema, undefined, 'output') as unknown

/**
 * Adds `named` to components.schemas (a shape a `.model()` already names keeps that name) and replaces every copy
 * of a component's shape in the operations, the webhooks and the other components by a $ref. Builds new objects:
 * the route's own TypeBox schemas are never touched.
 */
export function nameSchemas(doc: Documented, named: Record<string, TSchema>) {
  const components = ((doc.components ??= {}).schemas ??= {})
  const byShape = new Map<string, string>()
  for (const [name, schema] of Object.entries(components)) byShape.set(shape(schema), name)
  for (const [name, schema] of Object.entries(named)) {
    const json = toJson(schema)
    if (!isObject(json) || byShape.has(shape(json))) continue
    components[name] = json
    byShape.set(shape(json), name)
  }
  const ref = (node: unknown, self?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => ref(n))
    if (!isObject(node)) return node
    const name = byShape.get(shape(node))
    if (name !== undefined && name !== self) return { $ref: `#/components/schemas/${name}` }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, ref(v)]))
  }
  const refContent = (content: Media | undefined, convert = false) => {
    for (const media of Object.values(content ?? {}))
      if (isObject(media) && media.schema !== undefined)
        media.schema = ref(convert ? toJson(media.schema) : media.schema)
  }
  for (const [name, schema] of Object.entries(components)) components[name] = ref(schema, name)
  for (const item of Object.values(doc.paths))
    for (const op of Object.values(item)) {
      refContent(op.requestBody?.content)
      for (const res of Object.values(op.responses ?? {}))
        if (isObject(res)) refContent(res.content as Media | undefined)
    }
  // The event catalogue is plain TypeBox: converted like the routes' schemas first, so equal shapes compare equal.
  for (const item of Object.values(doc.webhooks ?? {}))
    for (const op of Object.values(item)) refContent(op.requestBody?.content, true)
}

/** The error responses by status: a name and what the status means here (the envelope's codes are in the README). */
const errorResponses: Record<string, [string, string]> = {
  400: ['BadRequest', '`validation_error`: a malformed request or an invalid field (`details` names it)'],
  401: ['Unauthorized', '`unauthorized`: no bearer token, or an invalid, expired or revoked one'],
  403: ['Forbidden', "`forbidden`: the principal lacks the route's capability"],
  404: ['NotFound', "`not_found`: no such resource in the caller's organisation (another's looks the same)"],
  409: ['Conflict', "`conflict` or `session_not_connected`: the resource's state does not allow it now"],
  413: ['PayloadTooLarge', '`payload_too_large`: the body or file exceeds the limit (`details.limit`)'],
  429: ['TooManyRequests', '`rate_limited`: over the request budget or a queue is full; retry later'],
  501: ['NotImplemented', '`not_implemented`'],
  502: ['BadGateway', '`upstream_error`: WhatsApp refused or failed the request'],
  503: ['Unavailable', '`unavailable`: a part the route needs is not configured (media storage)'],
}

/**
 * Every error response carrying the `{"error":{…}}` envelope becomes a $ref to components.responses.<Name>, one
 * per status, with a description saying which codes it carries.
 */
export function nameErrorResponses(doc: Documented, envelope = '#/components/schemas/error') {
  const responses = ((doc.components ??= {}).responses ??= {})
  for (const item of Object.values(doc.paths))
    for (const op of Object.values(item))
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        const json = isObject(res) && isObject(res.content) ? res.content['application/json'] : undefined
        const known = errorResponses[status]
        if (!known || !isObject(json) || !isObject(json.schema) || json.schema.$ref !== envelope) continue
        const [name, description] = known
        responses[name] ??= { description, content: { 'application/json': { schema: { $ref: envelope } } } }
        op.responses![status] = { $ref: `#/components/responses/${name}` }
      }
}
