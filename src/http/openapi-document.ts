// What @elysiajs/openapi 1.4.16 generates, finished: each custom method its own path and operation, JSON request
// bodies described, responses without a body without `content`, and the API's shapes named once.
import { unwrapSchema } from '@elysiajs/openapi/openapi'
import type { TSchema } from 'elysia'
import { CUSTOM_METHODS, type CustomMethod, type CustomMethodTable } from './custom-methods.ts'
import { nameErrorResponses, nameSchemas } from './openapi-schemas.ts'

type Operation = Record<string, unknown> & {
  parameters?: { name: string; in: string }[]
  requestBody?: { required?: boolean; content?: Record<string, unknown> }
  responses?: Record<string, { content?: Record<string, unknown> }>
}
type Paths = Record<string, Record<string, Operation>>
export type Doc = {
  openapi: string
  paths: Paths
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> }
}
/** A registered route as Elysia lists it (`app.routes`). */
export type Route = { method: string; path: string; hooks: { body?: unknown; detail?: unknown } }

/**
 * The documented path of a verb. A resource route `/x/{id}` gives `/x/{id}:verb`; a collection route registered as
 * `/x/groups:*` reaches the document as `/x/groups{*}` and gives `/x/groups:verb`.
 */
export const verbPath = (path: string, verb: string) => `${path.endsWith('{*}') ? path.slice(0, -3) : path}:${verb}`

/** The custom-method table a route or a generated operation carries, if any. */
export const customMethodsOf = (detail: unknown): CustomMethodTable | undefined =>
  typeof detail === 'object' && detail !== null
    ? ((detail as Record<string, unknown>)[CUSTOM_METHODS] as CustomMethodTable | undefined)
    : undefined

const toJson = (schema: TSchema | string) => unwrapSchema(schema as TSchema, undefined, 'output')

function response(status: string, schema: TSchema | string) {
  const json = toJson(schema)
  const description = json?.description ?? `Response for status ${status}`
  // t.Void(): a response without a body has no content.
  if (!json || (json.type as string | undefined) === 'void') return { description }
  return { description, content: { 'application/json': { schema: json } } }
}

function operation(base: Operation, method: CustomMethod): Operation {
  const { [CUSTOM_METHODS]: _table, parameters, responses, requestBody: _body, ...rest } = base
  const errors = Object.entries(responses ?? {}).filter(([status]) => Number(status) >= 400)
  const body = method.body ? toJson(method.body) : undefined
  const params = (parameters ?? []).filter((p) => p.name !== '*')
  return {
    ...rest,
    operationId: method.operationId,
    summary: method.summary,
    ...(method.description ? { description: method.description } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(body
      ? {
          requestBody: {
            required: (body.required ?? []).length > 0,
            content: { 'application/json': { schema: body } },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(Object.entries(method.responses).map(([s, schema]) => [s, response(s, schema)])),
      ...Object.fromEntries(errors),
    },
  }
}

const finished = new WeakSet<object>()

/**
 * Finishes the plugin's document in place, once (it is cached and served again). `routes` are the app's registered
 * routes, for what the plugin left out; `named` the shapes to write once in components.schemas and $ref elsewhere.
 */
export function finishDocument<D extends Doc>(doc: D, routes: readonly Route[], named: Record<string, TSchema>): D {
  if (finished.has(doc)) return doc
  withJsonBodies(doc, routes)
  withDetailParameters(doc, routes)
  splitCustomMethods(doc)
  withoutVoidContent(doc)
  nameSchemas(doc, named)
  nameErrorResponses(doc)
  finished.add(doc)
  return doc
}

/** The document's path of a registered route: `/x/:id` → `/x/{id}` (a collection verb route `/x:*` → `/x{*}`). */
export const documentedPath = (path: string) => path.replace(/:([^/]+)/g, '{$1}')

/**
 * Every route takes JSON (the global parser in errors.ts; a route with files parses multipart itself), but with a
 * parse hook present the plugin writes a request body with no media type at all: describe it as JSON.
 */
function withJsonBodies(doc: Doc, routes: readonly Route[]) {
  for (const route of routes) {
    const op = doc.paths[documentedPath(route.path)]?.[route.method.toLowerCase()]
    const content = op?.requestBody?.content
    if (!route.hooks.body || !content || Object.keys(content).length) continue
    const schema = toJson(route.hooks.body as TSchema)
    if (schema) content['application/json'] = { schema }
  }
}

/**
 * Parameters a route declares in its `detail` (a header its handler reads itself, such as Idempotency-Key): the
 * plugin replaces them by the ones it derives from the schemas; add them back after those.
 */
function withDetailParameters(doc: Doc, routes: readonly Route[]) {
  for (const route of routes) {
    const declared = (route.hooks.detail as { parameters?: { name: string; in: string }[] } | undefined)?.parameters
    const op = doc.paths[documentedPath(route.path)]?.[route.method.toLowerCase()]
    if (!declared?.length || !op) continue
    const has = new Set((op.parameters ?? []).map((p) => `${p.in} ${p.name}`))
    op.parameters = [...(op.parameters ?? []), ...declared.filter((p) => !has.has(`${p.in} ${p.name}`))]
  }
}

/**
 * The plugin documents a `t.Void()` response (every 204) as `content: {type: 'void'}`, which is not a map of
 * media types, so the document fails validation. A response without a body has no `content`: drop it.
 */
function withoutVoidContent(doc: Doc) {
  for (const item of Object.values(doc.paths))
    for (const op of Object.values(item))
      for (const res of Object.values(op?.responses ?? {}))
        if (res.content && typeof res.content.type === 'string') delete res.content
}

/** Replaces, in place and keeping the order, every operation carrying a table by its verbs' paths (idempotent). */
function splitCustomMethods(doc: Doc) {
  const paths: Paths = {}
  for (const [path, item] of Object.entries(doc.paths)) {
    const plain: Record<string, Operation> = {}
    const expanded: Paths = {}
    for (const [method, op] of Object.entries(item)) {
      const table = customMethodsOf(op)
      if (!table) plain[method] = op
      else
        for (const [verb, m] of Object.entries(table)) expanded[verbPath(path, verb)] = { [method]: operation(op, m) }
    }
    if (Object.keys(plain).length) paths[path] = plain
    for (const [p, ops] of Object.entries(expanded)) paths[p] = { ...paths[p], ...ops }
  }
  for (const key of Object.keys(doc.paths)) delete doc.paths[key]
  Object.assign(doc.paths, paths)
}
