// What a phone sends and what it received: POST /accounts/{phone}/messages, GET …/messages, GET …/sent.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import { accountOf, Phone, PhoneParams } from './shared.ts'

const SendMessage = t.Object({
  to: Phone,
  text: t.Optional(t.String()),
  quotedId: t.Optional(t.String()),
  count: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })),
  undecryptable: t.Optional(t.Boolean()),
})

export function messageRoutes(ctx: SimContext) {
  return new Elysia({ prefix: '/accounts/:phone' })
    .post(
      '/messages',
      ({ params, body, set }) => {
        const from = accountOf(ctx, params.phone)
        const to = accountOf(ctx, body.to)
        const undecryptable = body.undecryptable === true
        if (body.text === undefined && !undecryptable)
          throw new SimError('validation_error', 'text is required', { field: 'text' })
        const sent = ctx.delivery.sendText(from, to, {
          text: body.text ?? '',
          quotedId: body.quotedId,
          count: body.count,
          undecryptable,
        })
        set.status = 201
        return body.count === undefined ? sent[0] : { data: sent }
      },
      { params: PhoneParams, body: SendMessage },
    )
    .get('/messages', ({ params }) => ({ data: accountOf(ctx, params.phone).inbox }), { params: PhoneParams })
    .get(
      '/sent',
      ({ params }) => ({
        data: accountOf(ctx, params.phone).sent.map((s) => ({
          id: s.id,
          to: s.to,
          text: s.text,
          timestamp: s.timestamp,
          devices: [...s.devices].map(([jid, state]) => ({ jid, state })),
        })),
      }),
      { params: PhoneParams },
    )
}
