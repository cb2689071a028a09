// Custom methods (Google AIP-136): `POST …/{id}:verb` on a resource and `POST …/collection:verb` on a collection.
// Elysia's router cannot match a literal suffix after a parameter, so one route per resource dispatches on the verb.
// The table given to customMethods() is both the dispatch gate (a verb not in it is 404) and the documentation:
// openapi-custom.ts turns the route into one OpenAPI path and operation per verb, with the verb's own schemas.
import type { TSchema } from 'elysia'
import { AppError } from '../errors.ts'
import { splitVerb, verbOf } from './shared.ts'

/** The key under which a route's `detail` carries its table into the generated document (removed from it). */
export const CUSTOM_METHODS = 'x-wagate-custom-methods'

export interface CustomMethod {
  operationId: string
  summary: string
  description?: string
  /** The JSON request body; absent when the method takes none. */
  body?: TSchema
  /** Success responses by status: a schema, or the name of a model registered with `.model()`. */
  responses: Record<number, TSchema | string>
}

export type CustomMethodTable = Record<string, CustomMethod>

export function customMethods<const T extends CustomMethodTable>(methods: T) {
  type Verb = keyof T & string
  const known = (verb: string): Verb => {
    if (!Object.hasOwn(methods, verb)) throw new AppError('not_found', `unknown method :${verb}`)
    return verb
  }
  return {
    methods,
    /** `<id>:<verb>` of a resource method; an unknown verb is 404. */
    split(value: string | null | undefined, name: string): { id: string; verb: Verb } {
      const { id, verb } = splitVerb(value, name)
      return { id, verb: known(verb) }
    },
    /** The verb of a collection method routed as `'/collection:*'`; an unknown verb is 404. */
    verb: (params: object): Verb => known(verbOf(params)),
    /** Spread into the route's `detail`: the document gets one operation per verb. */
    detail: { [CUSTOM_METHODS]: methods } as Record<string, unknown>,
  }
}
