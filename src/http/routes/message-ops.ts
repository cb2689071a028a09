// Operations on one stored message: read it, react, edit, revoke (delete for everyone) and forward. The writes are
// queued like sends: they answer once the operation is in the session's send queue.
import { Elysia, t } from 'elysia'
import { Message } from '../../domain/message.ts'
import { Recipient } from '../../domain/outbound.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, pathId } from '../shared.ts'

const conflict = { ...errors, 409: 'error' as const, 429: 'error' as const }

const messageMethods = customMethods({
  react: {
    operationId: 'reactToMessage',
    summary: 'React to a message',
    description: 'Queues this account\'s reaction to the message; `""` removes it. Requires `send`.',
    body: t.Object({ emoji: t.String({ maxLength: 32, description: 'One emoji; "" removes the reaction' }) }),
    responses: { 204: t.Void() },
  },
  forward: {
    operationId: 'forwardMessage',
    summary: 'Forward a message',
    description: "Sends the message's content to another chat; `201` with the new (queued) message. Requires `send`.",
    body: t.Object({ to: Recipient }),
    responses: { 201: Message },
  },
})

export function messageOpRoutes({ repos, engine, authenticate }: HttpDeps) {
  const { sessions, messages, chats } = repos

  /** The stored message or 404 (another organisation's looks the same as none). A LID names its PN chat's. */
  const stored = async (sessionId: string, cid: string, mid: string) => {
    const jid = pathId(cid, 'cid')
    const m = await messages.get(sessionId, (await chats.get(sessionId, jid))?.jid ?? jid, pathId(mid, 'mid'))
    if (!m) throw notFound('message')
    return m
  }

  return new Elysia({ prefix: '/api/v1/sessions/:sid/chats/:cid/messages', tags: ['messages'] })
    .use(authPlugin(authenticate))
    .get(
      '/:mid',
      async ({ principal, params }) =>
        stored((await ownSession(sessions, principal, params.sid)).id, params.cid, params.mid),
      {
        auth: 'read',
        response: { 200: Message, ...errors },
        detail: {
          operationId: 'getMessage',
          summary: 'Get a message',
          description: 'One stored message, by chat JID and WhatsApp message id.',
        },
      },
    )
    .patch(
      '/:mid',
      async ({ principal, params, body, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const m = await stored(session.id, params.cid, params.mid)
        await engine.edit(session.id, m.chatJid, m.id, body.text)
        set.status = 204
      },
      {
        auth: 'send',
        body: t.Object({ text: t.String({ minLength: 1, maxLength: 65536 }) }),
        response: { 204: t.Void(), ...conflict },
        detail: {
          operationId: 'editMessage',
          summary: 'Edit a message',
          description:
            'Queues an edit of an own text message; `message.edited` fires once WhatsApp has it. 409 `conflict` ' +
            "outside WhatsApp's 15-minute edit window, for someone else's message, or a non-text message.",
        },
      },
    )
    .delete(
      '/:mid',
      async ({ principal, params, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const m = await stored(session.id, params.cid, params.mid)
        await engine.revoke(session.id, m.chatJid, m.id)
        set.status = 204
      },
      {
        auth: 'send',
        response: { 204: t.Void(), ...conflict },
        detail: {
          operationId: 'deleteMessage',
          summary: 'Delete a message for everyone',
          description:
            'Queues a revoke of an own message; the stored copy keeps the row with `deleted: true` ' +
            '(`message.deleted`) once sent. 409 `conflict` for a message that is not yours.',
        },
      },
    )
    .post(
      '/:mid',
      async ({ principal, params, body, set }) => {
        const { id, verb } = messageMethods.split(params.mid, 'mid')
        const session = await ownSession(sessions, principal, params.sid)
        const m = await stored(session.id, params.cid, id)
        switch (verb) {
          case 'react': {
            const emoji = body?.emoji
            if (typeof emoji !== 'string' || emoji.length > 32)
              throw new AppError('validation_error', 'emoji is required ("" removes the reaction)', { field: 'emoji' })
            await engine.react(session.id, m.chatJid, m.id, emoji)
            set.status = 204
            return
          }
          case 'forward': {
            const to = body?.to
            if (typeof to !== 'string') throw new AppError('validation_error', 'to is required', { field: 'to' })
            set.status = 201
            return engine.forward(session.id, m.chatJid, m.id, to)
          }
        }
      },
      {
        auth: 'send',
        body: t.Optional(
          t.Nullable(t.Object({ emoji: t.Optional(t.String({ maxLength: 32 })), to: t.Optional(Recipient) })),
        ),
        response: { 201: Message, 204: t.Void(), ...conflict },
        detail: { summary: 'Message methods', ...messageMethods.detail },
      },
    )
}
