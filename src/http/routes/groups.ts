// Groups: the stored metadata and members, and create/update/members/invite/join/leave on the live session.
import { Elysia, t } from 'elysia'
import { Group, GroupPatch, isGroupJid, ParticipantAction, ParticipantResult } from '../../domain/group.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

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
}

const memberDoc = (what: string) =>
  `${what} WhatsApp answers per participant: \`200\` done, \`403\` refused by their privacy settings, \`409\` ` +
  'already a member, `408` recently left, `404` not on WhatsApp, `401` we are not admin. Each is reported as it ' +
  'came; the accepted ones are stored and raise `group.participants`. Requires `send`.'
const member = (operationId: string, summary: string, what: string) => ({
  operationId,
  summary,
  description: memberDoc(what),
  body: t.Object({ participants: t.Array(Participants.items, { minItems: 1, maxItems: 256 }) }),
  responses: { 200: 'group.participantResults' },
})
const participantMethods = customMethods({
  add: member('addGroupParticipants', 'Add group members', 'Adds the given members (phone numbers or JIDs).'),
  remove: member('removeGroupParticipants', 'Remove group members', 'Removes the given members.'),
  promote: member('promoteGroupParticipants', 'Promote group members to admin', 'Makes the given members admins.'),
  demote: member('demoteGroupParticipants', 'Demote group admins', 'Takes admin rights from the given members.'),
})

const collectionMethods = customMethods({
  join: {
    operationId: 'joinGroup',
    summary: 'Join a group by invite',
    description:
      'Joins a group by invite code (or the full https://chat.whatsapp.com/ link); answers the stored group. ' +
      'Requires `send`.',
    body: t.Object({ code: t.String({ minLength: 1, maxLength: 128 }) }),
    responses: { 200: 'group' },
  },
})

const groupMethods = customMethods({
  revokeInvite: {
    operationId: 'revokeGroupInvite',
    summary: "Revoke a group's invite code",
    description: 'Replaces the invite code; answers the new one. We must be admin. Requires `send`.',
    responses: { 200: Invite },
  },
  leave: {
    operationId: 'leaveGroup',
    summary: 'Leave a group',
    description: 'Leaves the group; the stored group loses this number from its members. Requires `send`.',
    responses: { 204: t.Void() },
  },
})

const groupId = (value: string | null | undefined) => {
  const jid = pathId(value, 'gid')
  if (!isGroupJid(jid)) throw notFound('group')
  return jid
}

export function groupRoutes({ repos, engine, authenticate }: HttpDeps) {
  const { sessions, groups } = repos
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }
  const stored = async (sid: string, jid: string) => {
    const g = await groups.get(sid, jid)
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
      async ({ principal, params, query }) =>
        groups.page((await ownSession(sessions, principal, params.sid)).id, pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: 'group.page', ...errors },
        detail: { operationId: 'listGroups', summary: 'List groups', description: docs.list },
      },
    )
    .get(
      '/groups/:gid',
      async ({ principal, params, query }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        if (query.refresh) await engine.refreshGroup(session.id, jid)
        return stored(session.id, jid)
      },
      {
        auth: 'read',
        query: t.Object({ refresh: t.Optional(t.Boolean({ description: 'Fetch from WhatsApp first' })) }),
        response: { 200: 'group', ...live },
        detail: { operationId: 'getGroup', summary: 'Get a group', description: docs.get },
      },
    )
    .post(
      '/groups',
      async ({ principal, params, body, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
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
        detail: { operationId: 'createGroup', summary: 'Create a group', description: docs.create },
      },
    )
    .post(
      '/groups:*',
      async ({ principal, params, body }) => {
        const session = await ownSession(sessions, principal, params.sid)
        collectionMethods.verb(params)
        const { jid } = await engine.joinGroup(session.id, body.code.trim())
        return stored(session.id, jid)
      },
      {
        auth: 'send',
        body: collectionMethods.methods.join.body,
        response: { 200: 'group', ...live },
        detail: { summary: 'Group collection methods', ...collectionMethods.detail },
      },
    )
    .patch(
      '/groups/:gid',
      async ({ principal, params, body }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        await engine.updateGroup(session.id, jid, body)
        return stored(session.id, jid)
      },
      {
        auth: 'send',
        body: GroupPatch,
        response: { 200: 'group', ...live },
        detail: { operationId: 'updateGroup', summary: 'Update a group', description: docs.patch },
      },
    )
    .post(
      '/groups/:gid',
      async ({ principal, params, set }) => {
        const { id, verb } = groupMethods.split(params.gid, 'gid')
        const session = await ownSession(sessions, principal, params.sid)
        const jid = groupId(id)
        if (verb === 'revokeInvite') return engine.groupInvite(session.id, jid, true)
        await engine.leaveGroup(session.id, jid)
        set.status = 204
      },
      {
        auth: 'send',
        response: { 200: Invite, 204: t.Void(), ...live },
        detail: { summary: 'Group methods', ...groupMethods.detail },
      },
    )
    .get(
      '/groups/:gid/invite',
      async ({ principal, params }) =>
        engine.groupInvite((await ownSession(sessions, principal, params.sid)).id, groupId(params.gid), false),
      {
        auth: 'read',
        response: { 200: Invite, ...live },
        detail: {
          operationId: 'getGroupInvite',
          summary: "Get a group's invite link",
          description: 'Needs a connected session; we must be admin.',
        },
      },
    )
    .post(
      '/groups/:gid/participants:*',
      async ({ principal, params, body }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const jid = groupId(params.gid)
        const verb: ParticipantAction = participantMethods.verb(params)
        const data = await engine.groupParticipants(session.id, jid, verb, body.participants)
        return { data }
      },
      {
        auth: 'send',
        body: participantMethods.methods.add.body,
        response: { 200: 'group.participantResults', ...live },
        detail: { summary: 'Change members', ...participantMethods.detail },
      },
    )
}
