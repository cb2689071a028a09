// Simulated phones: create and view accounts, link a client by QR or pairing code, kick linked devices.
//
// Kick reasons (POST /accounts/{phone}/devices:kick), applied to every linked device of the account:
//   restart → <stream:error code=515> (client sees 515)   conflict → <conflict type=replaced> (440)
//   logged_out → <stream:error code=401><conflict type=device_removed> (401) and the device is unlinked
//   failure → <failure reason=401> now if connected (401), else the device's next login is refused once
//   drop → TCP close (428)   silence → nothing more is sent or answered, so keepalive fails (408)
// `kicked` counts the devices acted on (connected ones, plus offline ones for logged_out and failure).
// A device's view counts its `logins` and how many of them `replaced` a connection that was still open, and what is
// `pending` in its offline queue: stanzas queued or delivered that it has not receipted or acked yet.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import { KICK_REASONS, type Account, type LinkedDevice } from '../network.ts'
import { accountOf, collectionVerb, Phone, PhoneParams, splitVerb } from './shared.ts'

const HistoryMessage = t.Object({
  id: t.Optional(t.String()),
  fromMe: t.Optional(t.Boolean()),
  text: t.String(),
  timestamp: t.Optional(t.Number()),
})
const History = t.Object({
  chats: t.Array(t.Object({ jid: t.String(), name: t.Optional(t.String()), messages: t.Array(HistoryMessage) })),
})

const CreateAccount = t.Object({
  phone: Phone,
  name: t.Optional(t.String()),
  receipts: t.Optional(t.Union([t.Literal('none'), t.Literal('delivered'), t.Literal('read')])),
  history: t.Optional(History),
})

const Link = t.Object({ qr: t.Optional(t.String()), code: t.Optional(t.String()) })

export function accountRoutes(ctx: SimContext) {
  const deviceView = (d: LinkedDevice) => ({
    id: d.id,
    jid: d.jid,
    lid: d.lidJid,
    state: ctx.net.deviceState(d),
    logins: d.logins,
    replaced: d.replaced,
    pending: d.outbox.size,
  })
  const accountView = (a: Account) => ({
    phone: a.phone,
    jid: a.jid,
    lid: a.lid,
    name: a.name,
    receipts: a.receipts,
    devices: [...a.devices.values()].map(deviceView),
  })

  return new Elysia({ prefix: '/accounts' })
    .post(
      '',
      ({ body, set }) => {
        const phone = String(body.phone)
        if (ctx.net.accounts.has(phone)) throw new SimError('conflict', `account ${phone} already exists`)
        const a = ctx.net.createAccount({ ...body, phone })
        set.status = 201
        return { phone: a.phone, jid: a.jid, lid: a.lid, name: a.name }
      },
      { body: CreateAccount },
    )
    .get('', () => ({ data: [...ctx.net.accounts.values()].map(accountView) }))
    .get('/:phone', ({ params }) => accountView(accountOf(ctx, params.phone)), { params: PhoneParams })
    .post(
      '/:phone',
      async ({ params, body }) => {
        // `{phone}:scan` {qr} / `{phone}:linkWithCode` {code}
        const { id, verb } = splitVerb(params.phone, 'phone', ['scan', 'linkWithCode'])
        const account = accountOf(ctx, id)
        const field = verb === 'scan' ? 'qr' : 'code'
        const value = body[field]
        if (!value) throw new SimError('validation_error', `${field} is required`, { field })
        const device =
          verb === 'scan' ? await ctx.pairing.scan(account, value) : await ctx.pairing.linkWithCode(account, value)
        return { device: deviceView(device) }
      },
      { params: t.Object({ phone: t.String() }), body: Link },
    )
    .post(
      '/:phone/devices:verb',
      ({ params, body }) => {
        return { kicked: ctx.net.kick(accountOf(ctx, params.phone), body.reason) }
      },
      {
        // Before validation, so an unknown verb is 404 whatever the body.
        transform: ({ params }) => collectionVerb(params.verb, 'kick'),
        params: t.Object({ phone: t.String({ pattern: '^\\d{6,15}$' }), verb: t.String() }),
        body: t.Object({ reason: t.Union(KICK_REASONS.map((r) => t.Literal(r))) }),
      },
    )
}
