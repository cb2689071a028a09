// Control routes for what an account shows others: privacy ("who can add me to groups"), address book, block list,
// profile picture, presence and typing, and whether it messages from its LID.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import { accountByRef, Ref } from './refs.ts'
import { accountOf, Phone, PhoneParams } from './shared.ts'

export function contactRoutes(ctx: SimContext) {
  const contacts = ctx.contacts
  return new Elysia()
    .get('/accounts/:phone/profile', ({ params }) => contacts.view(accountOf(ctx, params.phone)), {
      params: PhoneParams,
    })
    .post(
      '/accounts/:phone/privacy',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        contacts.setPrivacy(a, { groupAdd: body.groupAdd, contacts: body.contacts?.map(String) })
        return contacts.view(a)
      },
      {
        params: PhoneParams,
        body: t.Object({
          groupAdd: t.Optional(t.Union([t.Literal('all'), t.Literal('contacts'), t.Literal('none')])),
          contacts: t.Optional(t.Array(Phone, { maxItems: 10_000 })),
        }),
      },
    )
    .post(
      '/accounts/:phone/blocklist',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        contacts.setBlocked(a, accountByRef(ctx, body.jid), body.action === 'block')
        return contacts.view(a)
      },
      {
        params: PhoneParams,
        body: t.Object({ jid: Ref, action: t.Union([t.Literal('block'), t.Literal('unblock')]) }),
      },
    )
    .post(
      '/accounts/:phone/picture',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        contacts.setPicture(a, body.hidden ? 'hidden' : body.url ? { url: body.url } : null)
        return contacts.view(a)
      },
      {
        params: PhoneParams,
        body: t.Object({
          url: t.Optional(t.Union([t.String({ minLength: 1 }), t.Null()])),
          hidden: t.Optional(t.Boolean()),
        }),
      },
    )
    .post(
      '/accounts/:phone/presence',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        contacts.setPresence(a, body.state)
        return contacts.view(a)
      },
      { params: PhoneParams, body: t.Object({ state: t.Union([t.Literal('available'), t.Literal('unavailable')]) }) },
    )
    .post(
      '/accounts/:phone/chatstate',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        if (body.to.endsWith('@g.us')) {
          const g = ctx.groups.byJid.get(body.to)
          if (!g) throw new SimError('not_found', `group ${body.to} not found`)
          contacts.chatstate(a, g.jid, body.state, {
            members: [...g.members.values()].map((m) => m.account),
            lid: g.addressingMode === 'lid',
          })
        } else contacts.chatstate(a, accountByRef(ctx, body.to).jid, body.state)
        return { sent: true }
      },
      {
        params: PhoneParams,
        body: t.Object({
          to: Ref,
          state: t.Union([t.Literal('composing'), t.Literal('recording'), t.Literal('paused')]),
        }),
      },
    )
    .post(
      '/accounts/:phone/addressing',
      ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        a.sendsAsLid = body.mode === 'lid'
        a.hidesPn = a.sendsAsLid && body.withPn === false
        return { phone: a.phone, jid: a.jid, lid: a.lid, mode: a.sendsAsLid ? 'lid' : 'pn', withPn: !a.hidesPn }
      },
      {
        params: PhoneParams,
        body: t.Object({
          mode: t.Union([t.Literal('pn'), t.Literal('lid')]),
          /** `lid` mode only: false leaves `sender_pn` out (the LID alone names the sender). */
          withPn: t.Optional(t.Boolean()),
        }),
      },
    )
}
