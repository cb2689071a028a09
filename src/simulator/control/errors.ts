// The control API's one error mapper: SimError, Elysia's validation / parse / routing failures and anything
// unexpected all leave as the gateway's envelope {"error":{"code","message","details"}}, never a stack trace.
import { Elysia } from 'elysia'
import type { Logger } from 'pino'
import { SimError } from '../context.ts'
import { GroupError } from '../groups.ts'

const envelope = (code: string, message: string, details: Record<string, unknown> = {}) => ({
  error: { code, message, details },
})

type Issue = { path?: string; summary?: string; message?: string }

/** TypeBox issues → `{field, fields}`: `field` names the first bad field (what scripts check), `fields` all of them. */
function validationDetails(error: unknown): Record<string, unknown> {
  const e = error as { type?: string; all?: Issue[] }
  const fields = (e.all ?? []).slice(0, 20).map((i) => ({
    field: i.path ? i.path.replace(/^\//, '').replace(/\//g, '.') : (e.type ?? ''),
    message: i.summary ?? i.message ?? 'invalid',
  }))
  return { in: e.type, field: fields[0]?.field ?? e.type, fields }
}

export function errorPlugin(log: Logger) {
  return new Elysia({ name: 'sim-errors' })
    .onParse({ as: 'global' }, async ({ request }) => {
      // JSON whatever the content type says (scripts often omit it); an empty body is {}.
      const text = await request.text()
      if (!text.trim()) return {}
      try {
        return JSON.parse(text)
      } catch {
        throw new SimError('validation_error', 'body is not valid JSON', { in: 'body' })
      }
    })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      const cause = (error as { cause?: unknown }).cause
      if (code === 'PARSE' && cause instanceof SimError) error = cause
      if (error instanceof GroupError) error = error.toSimError()
      if (error instanceof SimError) {
        set.status = error.status
        return envelope(error.code, error.message, error.details)
      }
      switch (code) {
        case 'VALIDATION': {
          const details = validationDetails(error)
          set.status = 400
          return envelope('validation_error', `invalid ${String(details.field)}`, details)
        }
        case 'NOT_FOUND':
          set.status = 404
          return envelope('not_found', `no route ${request.method} ${new URL(request.url).pathname}`)
        case 'PARSE':
          set.status = 400
          return envelope('validation_error', 'body is not valid JSON', { in: 'body' })
      }
      log.error({ err: error }, 'simulator control API error')
      set.status = 500
      return envelope('internal', 'internal error')
    })
}
