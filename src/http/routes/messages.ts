// Sending messages, with Idempotency-Key: the same key and body within 24 h answers the first
// result and sends nothing twice; the same key with another body is a 409.
import { createHash } from 'node:crypto'
import { Elysia, t } from 'elysia'
import { toJid } from '../../domain/jid.ts'
import { Message } from '../../domain/message.ts'
import { AppError } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession } from '../shared.ts'

const Jid = t.String({
  pattern: '^(\\+?[0-9]{6,15}|[0-9]{6,20}@s\\.whatsapp\\.net|[0-9]{6,20}@lid|[0-9-]{6,40}@g\\.us)$',
  description: 'A phone number or a JID',
})

const SendText = t.Object({
  to: Jid,
  text: t.String({ minLength: 1, maxLength: 65536 }),
  quotedMessageId: t.Optional(t.String({ minLength: 1, maxLength: 128 })),
  mentions: t.Optional(t.Array(t.String({ pattern: '@(s\\.whatsapp\\.net|lid)$' }), { maxItems: 256 })),
})

export function messageRoutes({ stores, engine, authenticate }: HttpDeps) {
  const { sessions, idempotency } = stores
  const inFlight = new Set<string>()

  return new Elysia({ prefix: '/api/v1/sessions/:sid/messages', tags: ['messages'] })
    .use(authPlugin(authenticate))
    .post(
      '',
      async ({ principal, params, body, request, set }) => {
        const session = ownSession(sessions, principal, params.sid)
        const input = { ...body, to: toJid(body.to) }
        const key = request.headers.get('idempotency-key')
        if (key === null) {
          set.status = 201
          return engine.sendText(session.id, input)
        }
        if (!key || key.length > 255) throw new AppError('validation_error', 'Idempotency-Key must be 1–255 characters')
        const scope = `send:${session.id}`
        const bodyHash = createHash('sha256').update(JSON.stringify(input)).digest('hex')
        const seen = idempotency.get(principal.orgId, scope, key)
        if (seen) {
          if (seen.bodyHash !== bodyHash)
            throw new AppError('conflict', 'Idempotency-Key was already used with a different body')
          set.status = seen.status
          return JSON.parse(seen.response) as Message
        }
        const slot = `${principal.orgId}\0${scope}\0${key}`
        if (inFlight.has(slot)) throw new AppError('conflict', 'a request with this Idempotency-Key is in progress')
        inFlight.add(slot)
        try {
          const sent = await engine.sendText(session.id, input)
          idempotency.put(principal.orgId, scope, key, { bodyHash, status: 201, response: JSON.stringify(sent) })
          set.status = 201
          return sent
        } finally {
          inFlight.delete(slot)
        }
      },
      {
        auth: 'send',
        body: SendText,
        response: { 201: Message, ...errors, 409: 'error' as const, 502: 'error' as const },
        detail: {
          summary: 'Send a text message',
          description:
            'Stores the message as `pending` with its outbox event and sends it; acks and receipts move it to ' +
            'sent, delivered, read. Honours `Idempotency-Key`. 409 `session_not_connected` when not connected.',
        },
      },
    )
}
