// Schemas and lookups every control resource uses.
import { t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import type { Account } from '../network.ts'

const PHONE = '^\\d{6,15}$'

/** A phone in a body: 6–15 digits, as a string or a number. */
export const Phone = t.Union([
  t.String({ pattern: PHONE }),
  t.Integer({ minimum: 100_000, maximum: 999_999_999_999_999 }),
])

/** `{phone}` in a path. A malformed percent-escape arrives as null and fails here (400), not in a handler. */
export const PhoneParams = t.Object({ phone: t.String({ pattern: PHONE }) })

export function accountOf(ctx: SimContext, phone: string | number | undefined): Account {
  const a = phone === undefined ? undefined : ctx.net.accounts.get(String(phone))
  if (!a) throw new SimError('not_found', `account ${phone} not found`)
  return a
}

/** A path parameter that must be present and decodable. */
export function pathParam(value: string | null | undefined, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new SimError('validation_error', `invalid path parameter ${name}`, { field: name })
  return value
}

/**
 * Custom methods (`/accounts/{phone}:scan`): the router sees `{phone}:scan` as one segment. Returns the id and verb;
 * an unknown verb is an unknown route.
 */
export function splitVerb<V extends string>(value: string | null | undefined, name: string, verbs: readonly V[]) {
  const v = pathParam(value, name)
  const at = v.lastIndexOf(':')
  const verb = v.slice(at + 1) as V
  if (at <= 0 || !verbs.includes(verb)) throw new SimError('not_found', `no route ${v}`)
  return { id: v.slice(0, at), verb }
}

/**
 * A verb on a fixed collection (`/accounts/{phone}/devices:kick`): register the route as `…/devices:verb` and the
 * router captures what follows `devices` (`:kick`) in `params.verb`; this checks it.
 */
export function collectionVerb(captured: string | null | undefined, verb: string): void {
  if (captured !== `:${verb}`) throw new SimError('not_found', `no route :${String(captured).replace(/^:/, '')}`)
}
