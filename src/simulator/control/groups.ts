// Control routes for groups: phones create groups, post to them (any content a phone sends, polls and votes
// included), and act as members or admins (every change reaches the members' linked clients as the same w:gp2
// notifications a client's own IQs produce). Also the per-account counter of group-metadata queries, so a test can
// prove a gateway serves group sends from its metadata cache.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import { PARTICIPANT_ACTIONS, type Group, type ParticipantAction } from '../groups.ts'
import { ContentFields } from './messages.ts'
import { accountByRef, Ref, toJid } from './refs.ts'
import { accountOf, pathParam, Phone, PhoneParams } from './shared.ts'

const GidParams = t.Object({ gid: t.String({ minLength: 1 }) })

export function groupView(g: Group) {
  return {
    jid: g.jid,
    subject: g.subject,
    description: g.description?.body ?? null,
    owner: g.owner.phone,
    creation: g.creation * 1000,
    announce: g.announce,
    locked: g.locked,
    ephemeral: g.ephemeral,
    inviteCode: g.inviteCode,
    addressingMode: g.addressingMode,
    participants: [...g.members.values()].map((m) => ({
      phone: m.account.phone,
      jid: m.account.jid,
      lid: m.account.lid,
      admin: m.role,
    })),
  }
}

export function groupRoutes(ctx: SimContext) {
  const groups = ctx.groups
  const group = (raw: string | null) => {
    const gid = pathParam(raw, 'gid')
    const g = groups.byJid.get(gid.includes('@') ? gid : `${gid}@g.us`)
    if (!g) throw new SimError('not_found', `group ${gid} not found`)
    return g
  }
  return new Elysia()
    .post(
      '/groups',
      ({ body, set }) => {
        const owner = accountOf(ctx, body.owner)
        const { group: g, results } = groups.create(
          owner,
          body.subject,
          (body.participants ?? []).map(toJid),
          body.addressingMode,
        )
        set.status = 201
        return { ...groupView(g), results }
      },
      {
        body: t.Object({
          owner: Phone,
          subject: t.String({ minLength: 1, maxLength: 100 }),
          participants: t.Optional(t.Array(Ref, { maxItems: 1024 })),
          addressingMode: t.Optional(t.Union([t.Literal('pn'), t.Literal('lid')])),
        }),
      },
    )
    .post('/groups/join', ({ body }) => groupView(groups.join(body.code, accountOf(ctx, body.phone))), {
      body: t.Object({ phone: Phone, code: t.String({ minLength: 1 }) }),
    })
    .get('/groups/:gid', ({ params }) => groupView(group(params.gid)), { params: GidParams })
    .patch(
      '/groups/:gid',
      ({ params, body }) => {
        const g = group(params.gid)
        const actor = accountOf(ctx, body.actor)
        if (body.subject !== undefined) groups.setSubject(g, actor, body.subject)
        if (body.description !== undefined) groups.setDescription(g, actor, body.description)
        groups.setting(g, actor, { announce: body.announce, locked: body.locked, ephemeral: body.ephemeral })
        return groupView(g)
      },
      {
        params: GidParams,
        body: t.Object({
          actor: Phone,
          subject: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
          description: t.Optional(t.Union([t.String({ maxLength: 2048 }), t.Null()])),
          announce: t.Optional(t.Boolean()),
          locked: t.Optional(t.Boolean()),
          ephemeral: t.Optional(t.Integer({ minimum: 0 })),
        }),
      },
    )
    .post(
      '/groups/:gid/participants',
      ({ params, body }) => {
        const g = group(params.gid)
        const action = body.action as ParticipantAction
        const data = groups.participants(g, accountOf(ctx, body.actor), action, body.participants.map(toJid))
        return { data: data.map((r) => ({ jid: r.jid, status: r.status })) }
      },
      {
        params: GidParams,
        body: t.Object({
          actor: Phone,
          action: t.Union(PARTICIPANT_ACTIONS.map((a) => t.Literal(a))),
          participants: t.Array(Ref, { minItems: 1, maxItems: 1024 }),
        }),
      },
    )
    .post(
      '/groups/:gid/invite',
      ({ params, body }) => {
        const g = group(params.gid)
        return { code: groups.revokeInvite(g, accountOf(ctx, body.actor)) }
      },
      { params: GidParams, body: t.Object({ actor: Phone }) },
    )
    .post(
      '/groups/:gid/leave',
      ({ params, body }) => {
        const g = group(params.gid)
        groups.leave(g, accountOf(ctx, body.phone))
        return groupView(g)
      },
      { params: GidParams, body: t.Object({ phone: Phone }) },
    )
    .post(
      '/groups/:gid/messages',
      async ({ params, body, set }) => {
        const g = group(params.gid)
        const { from, ...input } = body
        const sent = await ctx.groupMessages.post(g, accountByRef(ctx, from), input)
        set.status = 201
        return sent
      },
      { params: GidParams, body: t.Object({ from: Ref, ...ContentFields }) },
    )
    .get('/groups/:gid/messages', ({ params }) => ({ data: group(params.gid).messages }), { params: GidParams })
    .get(
      '/accounts/:phone/counters',
      ({ params }) => {
        const counts = groups.queryCounts(accountOf(ctx, params.phone))
        return { groupMetadataQueries: counts.total, groupMetadataQueriesByGroup: counts.byGroup }
      },
      { params: PhoneParams },
    )
}
