// Chats from the stored copy (spec pages "List chats" and "Get a chat") and a chat's messages.
import { Elysia, t } from 'elysia'
import { Chat, type ChatAction } from '../../domain/chat.ts'
import { Message } from '../../domain/message.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, ownSessionId, PageOf, pageOf, PageQuery, pathId, splitVerb } from '../shared.ts'

const listChats =
  "Returns a page of the session's chats, served from the gateway's **stored copy** (not a live WhatsApp " +
  'query), ordered for display: pinned first, then most recent activity, ties broken by id. Page through ' +
  'results with `limit` and `cursor`: send the `nextCursor` from the previous response back as `cursor` to ' +
  'fetch the next page. When `nextCursor` is `null` there are no more chats. Requires the `read` capability.'
const getChat =
  "Returns one chat by its id (`cid`, the chat JID), served from the gateway's **stored copy**. Use this to " +
  "read a single chat's archive/pin/mute flags and unread count. Requires the `read` capability."

const chatActions =
  '`:markRead` (read receipts for the unread messages, `unreadCount` 0), `:markUnread`, `:archive`, ' +
  '`:unarchive`, `:pin`, `:unpin`, `:mute` (body `{"until": <epoch ms>}`; absent = forever), `:unmute`. Each is ' +
  'an app-state change on WhatsApp; the stored chat changes only once WhatsApp accepted it, raises ' +
  '`chat.updated`, and the updated chat is returned. `:typing` `{"state": "composing"|"recording"|"paused"}` ' +
  'shows a chat state to the other side (`204`). Requires `send`.'
const stateVerbs = ['markRead', 'markUnread', 'archive', 'unarchive', 'pin', 'unpin', 'mute', 'unmute'] as const
const TypingState = t.Union([t.Literal('composing'), t.Literal('recording'), t.Literal('paused')])

export function chatRoutes({ stores, engine, authenticate }: HttpDeps) {
  const { sessions, chats, messages } = stores
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }
  const ChatPage = PageOf(Chat)
  const MessagePage = PageOf(Message)
  const storedChat = (sid: string, cid: string) => {
    const chat = chats.get(sid, cid)
    if (!chat) throw notFound('chat')
    return chat
  }

  return new Elysia({ prefix: '/api/v1/sessions/:sid/chats', tags: ['chats'] })
    .use(authPlugin(authenticate))
    .get(
      '',
      ({ principal, params, query }) => chats.page(ownSessionId(sessions, principal, params.sid), pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: ChatPage, ...errors },
        detail: { summary: 'List chats', description: listChats },
      },
    )
    .get(
      '/:cid',
      ({ principal, params }) => {
        const session = ownSession(sessions, principal, params.sid)
        const chat = chats.get(session.id, pathId(params.cid, 'cid'))
        if (!chat) throw notFound('chat')
        return chat
      },
      { auth: 'read', response: { 200: Chat, ...errors }, detail: { summary: 'Get a chat', description: getChat } },
    )
    .get(
      '/:cid/messages',
      ({ principal, params, query }) => {
        const sid = ownSessionId(sessions, principal, params.sid)
        const cid = pathId(params.cid, 'cid')
        if (!chats.get(sid, cid)) throw notFound('chat')
        return messages.page(sid, cid, pageOf(query))
      },
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: MessagePage, ...errors },
        detail: { summary: "List a chat's messages", description: 'Stored messages of the chat, newest first.' },
      },
    )
    .post(
      '/:cid',
      async ({ principal, params, body, set }) => {
        const { id: cid, verb } = splitVerb(params.cid, 'cid')
        const session = ownSession(sessions, principal, params.sid)
        storedChat(session.id, cid)
        if (verb === 'typing') {
          if (!body?.state) throw new AppError('validation_error', 'state is required', { field: 'state' })
          await engine.sendTyping(session.id, cid, body.state)
          set.status = 204
          return
        }
        if (!(stateVerbs as readonly string[]).includes(verb))
          throw new AppError('not_found', `unknown method :${verb}`)
        const until = body?.until
        if (until !== undefined && until <= Date.now())
          throw new AppError('validation_error', 'until must be in the future', { field: 'until' })
        const action: ChatAction =
          verb === 'mute'
            ? { kind: 'mute', until: until ?? null }
            : { kind: verb as Exclude<ChatAction['kind'], 'mute'> }
        await engine.chatAction(session.id, cid, action)
        return storedChat(session.id, cid)
      },
      {
        auth: 'send',
        body: t.Optional(
          t.Nullable(
            t.Object({
              until: t.Optional(t.Integer({ minimum: 0, description: ':mute end, epoch ms; absent = forever' })),
              state: t.Optional(TypingState),
            }),
          ),
        ),
        response: { 200: Chat, 204: t.Void(), ...live },
        detail: {
          summary: 'Chat actions: :markRead :markUnread :archive :unarchive :pin :unpin :mute :unmute :typing',
          description: chatActions,
        },
      },
    )
    .delete(
      '/:cid',
      async ({ principal, params, set }) => {
        const session = ownSession(sessions, principal, params.sid)
        const cid = pathId(params.cid, 'cid')
        storedChat(session.id, cid)
        await engine.chatAction(session.id, cid, { kind: 'delete' })
        set.status = 204
      },
      {
        auth: 'send',
        response: { 204: t.Void(), ...live },
        detail: {
          summary: 'Delete a chat',
          description:
            'Deletes the chat on the account (app-state sync, so the phone loses it too) and then from the stored ' +
            'copy with its messages; raises `chat.deleted`. Requires `send`.',
        },
      },
    )
}
