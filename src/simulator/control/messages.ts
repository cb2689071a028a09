// What a phone sends and what it received: POST /accounts/{phone}/messages (text, media, location, contacts, poll,
// pollVote, reaction, edit, revoke), GET …/messages (decrypted, media bytes included), GET …/sent, and
// POST …/sent/{id}:expireMedia (the media URL of a message the phone sent answers 410 until re-uploaded).
import { Elysia, t } from 'elysia'
import { MediaInput, RichInput } from '../content.ts'
import type { SimContext } from '../context.ts'
import { SimError } from '../context.ts'
import { accountOf, Phone, PhoneParams, splitVerb } from './shared.ts'

/** What a phone can send, to a contact or to a group (exactly one content field; see content.ts). */
export const ContentFields = {
  text: t.Optional(t.String()),
  quotedId: t.Optional(t.String({ minLength: 1 })),
  forwarded: t.Optional(t.Boolean()),
  mentions: t.Optional(t.Array(t.String({ pattern: '^\\d{6,15}$' }))),
  image: t.Optional(MediaInput),
  video: t.Optional(MediaInput),
  audio: t.Optional(MediaInput),
  document: t.Optional(MediaInput),
  sticker: t.Optional(MediaInput),
  location: t.Optional(RichInput.location),
  contacts: t.Optional(RichInput.contacts),
  poll: t.Optional(RichInput.poll),
  pollVote: t.Optional(RichInput.pollVote),
  reaction: t.Optional(RichInput.reaction),
  edit: t.Optional(RichInput.edit),
  revoke: t.Optional(RichInput.revoke),
}

const SendMessage = t.Object({
  to: Phone,
  ...ContentFields,
  count: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })),
  undecryptable: t.Optional(t.Boolean()),
})

export function messageRoutes(ctx: SimContext) {
  return new Elysia({ prefix: '/accounts/:phone' })
    .post(
      '/messages',
      ({ params, body, set }) => {
        const from = accountOf(ctx, params.phone)
        const { to: toPhone, ...input } = body
        const sent = ctx.delivery.send(from, accountOf(ctx, toPhone), input)
        set.status = 201
        return body.count === undefined ? sent[0] : { data: sent }
      },
      { params: PhoneParams, body: SendMessage },
    )
    .get(
      '/messages',
      ({ params, query }) => {
        const inbox = accountOf(ctx, params.phone).inbox.toArray()
        if (query.data !== false) return { data: inbox }
        // ?data=false: everything but the media bytes.
        return { data: inbox.map((m) => (m.media ? { ...m, media: { ...m.media, data: undefined } } : m)) }
      },
      { params: PhoneParams, query: t.Object({ data: t.Optional(t.BooleanString()) }) },
    )
    .get(
      '/sent',
      ({ params }) => ({
        data: accountOf(ctx, params.phone)
          .sent.toArray()
          .map((s) => ({
            id: s.id,
            to: s.to,
            kind: s.kind,
            text: s.text,
            timestamp: s.timestamp,
            devices: [...s.devices].map(([jid, state]) => ({ jid, state })),
            ...(ctx.retries.sent.has(s.id) ? { mediaRetries: ctx.retries.sent.get(s.id)!.retries } : {}),
          })),
      }),
      { params: PhoneParams },
    )
    .post(
      '/sent/:id',
      ({ params }) => {
        const { id } = splitVerb(params.id, 'id', ['expireMedia'])
        const sender = accountOf(ctx, params.phone)
        const record = sender.sent.has(id) ? ctx.retries.sent.get(id) : undefined
        if (!record) throw new SimError('not_found', `no media message ${id} sent by ${sender.phone}`)
        ctx.media.expire(record.directPath)
        return { expired: true }
      },
      { params: t.Object({ phone: PhoneParams.properties.phone, id: t.String() }) },
    )
}
