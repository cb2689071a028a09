// Groups: the stored metadata and members, and create/update/members/invite/join/leave on the live session.
import { Elysia, t } from 'elysia'
import { Group, GroupPatch, isGroupJid, ParticipantAction, ParticipantResult } from '../../domain/group.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, PageOf, pageOf, PageQuery, pathId, splitVerb, verbOf } from '../shared.ts'

const Participants = t.Array(t.String({ minLength: 1, maxLength: 64, description: 'Phone number or JID' }), {
  maxItems: 256,
})
const Invite = t.Object({ code: t.String(), url: t.String({ description: 'https://chat.whatsapp.com/<code>' }) })

const docs = {
  list:
    "A page of the session's groups from the **stored copy**, oldest known first, each with its members. " +
    'Page with `limit` and `cursor` like chats. Requires `read`.',
  get:
    "One group's stored metadata: subject, description, owner, createdAt, announce, locked, ephemeralSeconds " +
    'and members (`jid`, `lid`, `phone` where known, `admin`). `?refresh=true` fetches it from WhatsApp first ' +
    '(needs a connected session). Requires `read`.',
  create:
    'Creates a group with this number as superadmin and the given members (phone numbers or JIDs); `201` with ' +
    'the stored group. Members whose privacy settings refuse being added are left out by WhatsApp. Requires `send`.',
  patch:
    'Changes subject, description (empty string clears it), announce (only admins send), locked (only admins ' +
    'edit settings) and the disappearing-messages timer. Each field is its own WhatsApp request, stored once ' +
    'accepted; on a refusal the earlier fields stay applied. Requires `send`.',
  participants:
    '`:add`, `:remove`, `:promote`, `:demote` the given members. WhatsApp answers per participant: `200` done, ' +
    '`403` refused by their privacy settings, `409` already a member, `408` recently left, `404` not on ' +
    'WhatsApp, `401` we are not admin. Each is reported as it came; the accepted ones are stored and raise ' +
    '`group.participants`. Requires `send`.',
  verbs: '`:revokeInvite` replaces the invite code (answers the new one); `:leave` leaves the group (`204`).',
  join: 'Joins a group by invite code (or the full https://chat.whatsapp.com/ link); answers the stored group.',
}

const groupId = (value: string | null | undefined) => {
  const jid = pathId(value, 'gid')
  if (!isGroupJid(jid)) throw notFound('group')
  return jid
}

export function groupRoutes({ stores, engine, authenticate }: HttpDeps) {
  const { sessions, groups } = stores
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }
  const stored = (sid: string, jid: string) => {
    const g = groups.get(sid, jid)
    if (!g) throw notFound('group')
    return g
  }

  return new Elysia({ prefix: '/api/v1/sessions/:sid', tags: ['groups'] })
    .use(authPlugin(authenticate))
    .model({
      group: Group,
      'group.page': PageOf(Group),
      'group.participantResults': t.Object({ data: t.Array(ParticipantResult) }),
    })
    .get(
      '/groups',
      ({ principal, params, query }) => groups.page(ownSession(sessions, principal, params.sid).id, pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: 'group.page', ...errors },
        detail: { summary: 'List groups', description: docs.list },
      },
    )
    .get(
      '/groups/:gid',
      async ({ principal, params, query }) => {
        const session = ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        if (query.refresh) await engine.refreshGroup(session.id, jid)
        return stored(session.id, jid)
      },
      {
        auth: 'read',
        query: t.Object({ refresh: t.Optional(t.Boolean({ description: 'Fetch from WhatsApp first' })) }),
        response: { 200: 'group', ...live },
        detail: { summary: 'Get a group', description: docs.get },
      },
    )
    .post(
      '/groups',
      async ({ principal, params, body, set }) => {
        const session = ownSession(sessions, principal, params.sid)
        const subject = body.subject.trim()
        if (!subject) throw new AppError('validation_error', 'subject must not be blank', { field: 'subject' })
        const { jid } = await engine.createGroup(session.id, { subject, participants: body.participants })
        set.status = 201
        return stored(session.id, jid)
      },
      {
        auth: 'send',
        body: t.Object({ subject: t.String({ minLength: 1, maxLength: 100 }), participants: Participants }),
        response: { 201: 'group', ...live },
        detail: { summary: 'Create a group', description: docs.create },
      },
    )
    .post(
      '/groups:*',
      async ({ principal, params, body }) => {
        const session = ownSession(sessions, principal, params.sid)
        if (verbOf(params) !== 'join') throw new AppError('not_found', `unknown method :${verbOf(params)}`)
        const { jid } = await engine.joinGroup(session.id, body.code.trim())
        return stored(session.id, jid)
      },
      {
        auth: 'send',
        body: t.Object({ code: t.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: 'group', ...live },
        detail: { summary: 'Join a group by invite: :join', description: docs.join },
      },
    )
    .patch(
      '/groups/:gid',
      async ({ principal, params, body }) => {
        const session = ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        await engine.updateGroup(session.id, jid, body)
        return stored(session.id, jid)
      },
      {
        auth: 'send',
        body: GroupPatch,
        response: { 200: 'group', ...live },
        detail: { summary: 'Update a group', description: docs.patch },
      },
    )
    .post(
      '/groups/:gid',
      async ({ principal, params, set }) => {
        const { id, verb } = splitVerb(params.gid, 'gid')
        const session = ownSession(sessions, principal, params.sid)
        const jid = groupId(id)
        if (verb === 'revokeInvite') return engine.groupInvite(session.id, jid, true)
        if (verb !== 'leave') throw new AppError('not_found', `unknown method :${verb}`)
        await engine.leaveGroup(session.id, jid)
        set.status = 204
      },
      {
        auth: 'send',
        response: { 200: Invite, 204: t.Void(), ...live },
        detail: { summary: 'Revoke the invite code or leave: :revokeInvite :leave', description: docs.verbs },
      },
    )
    .get(
      '/groups/:gid/invite',
      ({ principal, params }) =>
        engine.groupInvite(ownSession(sessions, principal, params.sid).id, groupId(params.gid), false),
      {
        auth: 'read',
        response: { 200: Invite, ...live },
        detail: { summary: "Get a group's invite link", description: 'Needs a connected session; we must be admin.' },
      },
    )
    .post(
      '/groups/:gid/participants:*',
      async ({ principal, params, body }) => {
        const session = ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        const verb = verbOf(params)
        if (!['add', 'remove', 'promote', 'demote'].includes(verb))
          throw new AppError('not_found', `unknown method :${verb}`)
        const data = await engine.groupParticipants(session.id, jid, verb as ParticipantAction, body.participants)
        return { data }
      },
      {
        auth: 'send',
        body: t.Object({ participants: t.Array(Participants.items, { minItems: 1, maxItems: 256 }) }),
        response: { 200: 'group.participantResults', ...live },
        detail: { summary: 'Change members: :add :remove :promote :demote', description: docs.participants },
      },
    )
}
