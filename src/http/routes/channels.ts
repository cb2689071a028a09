// Channels (newsletters): the stored copy, and create/follow/unfollow/mute on the live session.
import { Elysia, t } from 'elysia'
import { Channel } from '../../domain/channel.ts'
import { Message } from '../../domain/message.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, ownSessionId, PageOf, pageOf, PageQuery, pathId, served } from '../shared.ts'

const isChannelJid = (jid: string) => /^[0-9]{6,30}@newsletter$/.test(jid)

const docs = {
  messages:
    'Return a page of **stored** messages for the channel identified by `jid` on this session, newest-first. ' +
    "This reads from the gateway's own message store — it returns what the gateway has already received and " +
    'persisted for the channel, not a live fetch from WhatsApp. A channel the session has never received posts ' +
    'from yields an empty page. Requires the `send` capability.',
  create:
    'Create a WhatsApp **channel** (newsletter) owned by this session, returning its newly minted JID. Not ' +
    'idempotent: each successful call creates a distinct channel. `400 validation_error` for a missing or invalid ' +
    '`name`. Requires the `send` capability.',
}

const channelMethods = customMethods({
  follow: {
    operationId: 'followChannel',
    summary: 'Follow a channel',
    description: 'Subscribes this session to the channel so its posts arrive. Idempotent. Requires `send`.',
    responses: { 204: t.Void() },
  },
  unfollow: {
    operationId: 'unfollowChannel',
    summary: 'Unfollow a channel',
    description: 'Unsubscribes this session from the channel. Idempotent. Requires `send`.',
    responses: { 204: t.Void() },
  },
  mute: {
    operationId: 'muteChannel',
    summary: "Set a channel's mute state",
    description:
      'Sets (not toggles) the notification state: `{"mute": true}` mutes, `{"mute": false}` unmutes; an omitted ' +
      'field or no body mutes. Requires `send`.',
    body: t.Object({ mute: t.Optional(t.Boolean()) }),
    responses: { 204: t.Void() },
  },
})

export function channelRoutes({ repos, engine, authenticate }: HttpDeps) {
  const { sessions, channels, messages } = repos
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }
  const MessagePage = PageOf(Message)

  return new Elysia({ prefix: '/api/v1/sessions/:sid/channels', tags: ['channels'] })
    .use(authPlugin(authenticate))
    .get(
      '',
      async ({ principal, params, query }) =>
        channels.page((await ownSession(sessions, principal, params.sid)).id, pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: PageOf(Channel), ...errors },
        detail: {
          operationId: 'listChannels',
          summary: 'List channels',
          description: 'Channels this session follows or owns, from the stored copy.',
        },
      },
    )
    .get(
      '/:jid',
      async ({ principal, params }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const channel = await channels.get(session.id, pathId(params.jid, 'jid'))
        if (!channel) throw notFound('channel')
        return channel
      },
      {
        auth: 'read',
        response: { 200: Channel, ...errors },
        detail: { operationId: 'getChannel', summary: 'Get a channel' },
      },
    )
    .get(
      '/:jid/messages',
      async ({ principal, params, query, set }) => {
        const sid = await ownSessionId(sessions, principal, params.sid)
        const jid = pathId(params.jid, 'jid')
        if (!isChannelJid(jid)) throw notFound('channel')
        return served(set, MessagePage, await messages.page(sid, jid, pageOf(query)))
      },
      {
        auth: 'send',
        query: PageQuery,
        response: { 200: MessagePage, ...errors },
        detail: {
          operationId: 'listChannelMessages',
          summary: 'List stored channel messages',
          description: docs.messages,
        },
      },
    )
    .post(
      '',
      async ({ principal, params, body, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const name = body.name.trim()
        if (!name) throw new AppError('validation_error', 'name must not be blank', { field: 'name' })
        const created = await engine.createChannel(session.id, {
          name,
          ...(body.description ? { description: body.description } : {}),
        })
        set.status = 201
        return created
      },
      {
        auth: 'send',
        body: t.Object({
          name: t.String({ minLength: 1, maxLength: 100 }),
          description: t.Optional(t.String({ maxLength: 2048 })),
        }),
        response: { 201: t.Object({ jid: t.String() }), ...live },
        detail: { operationId: 'createChannel', summary: 'Create a channel (newsletter)', description: docs.create },
      },
    )
    .post(
      '/:jid',
      async ({ principal, params, body, set }) => {
        const { id: jid, verb } = channelMethods.split(params.jid, 'jid')
        const session = await ownSession(sessions, principal, params.sid)
        if (!isChannelJid(jid)) throw notFound('channel')
        if (verb === 'follow') await engine.followChannel(session.id, jid)
        else if (verb === 'unfollow') await engine.unfollowChannel(session.id, jid)
        else await engine.muteChannel(session.id, jid, body?.mute ?? true)
        set.status = 204
      },
      {
        auth: 'send',
        body: t.Optional(t.Nullable(t.Object({ mute: t.Optional(t.Boolean()) }))),
        response: { 204: t.Void(), ...live },
        detail: { summary: 'Channel methods', ...channelMethods.detail },
      },
    )
}
