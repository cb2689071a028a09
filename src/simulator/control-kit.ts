// What the groups/contacts/chats control plugins share: the error envelope for their routes, account lookup, and the
// mapping of protocol-level refusals (GroupError with a WhatsApp code) to control-API errors.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext, type SimErrorCode } from './context.ts'
import { GroupError } from './groups.ts'
import type { Account } from './network.ts'

export const Phone = t.String({ pattern: '^[0-9]{6,15}$', description: 'Account phone number, digits only' })

const envelope = (code: string, message: string, details: Record<string, unknown> = {}) => ({
  error: { code, message, details },
})

const BY_STATUS: Record<number, SimErrorCode> = { 400: 'validation_error', 404: 'not_found', 409: 'conflict' }

/** A protocol refusal as a control-API error (403 forbidden unless the code says otherwise). */
export function asSimError(err: GroupError): SimError {
  return new SimError(BY_STATUS[err.status] ?? 'forbidden', err.message, { whatsappCode: err.status })
}

/** Maps errors of the routes it is used by (scoped to the parent instance) to {"error":{code,message,details}}. */
export function simErrors() {
  return new Elysia({ name: 'sim-control-errors' }).onError({ as: 'scoped' }, ({ code, error, set }) => {
    let e: unknown = error
    if (e instanceof GroupError) e = asSimError(e)
    if (e instanceof SimError) {
      set.status = e.status
      return envelope(e.code, e.message, e.details)
    }
    if (code === 'VALIDATION' || code === 'PARSE') {
      set.status = 400
      const message = code === 'PARSE' ? 'body is not valid JSON' : 'request does not match the schema'
      return envelope('validation_error', message)
    }
    if (code === 'NOT_FOUND') {
      set.status = 404
      return envelope('not_found', 'no such route')
    }
    set.status = 500
    return envelope('internal', String((e as Error)?.message ?? e))
  })
}

export function accountOf(ctx: SimContext, phone: string): Account {
  const a = ctx.net.accounts.get(phone)
  if (!a) throw new SimError('not_found', `account ${phone} not found`)
  return a
}

/** An account by phone number or by PN/LID JID. */
export function accountByRef(ctx: SimContext, ref: string): Account {
  const a = /^\d{6,15}$/.test(ref) ? ctx.net.accounts.get(ref) : ctx.net.resolve(ref)?.account
  if (!a) throw new SimError('not_found', `account ${ref} not found`)
  return a
}
