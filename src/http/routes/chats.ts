// Chats from the stored copy (spec pages "List chats" and "Get a chat") and a chat's messages.
import { Elysia, t } from 'elysia'
import { Chat, type ChatAction } from '../../domain/chat.ts'
import { Message } from '../../domain/message.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, ownSessionId, PageOf, pageOf, PageQuery, pathId, served } from '../shared.ts'

const listChats =
  "Returns a page of the session's chats, served from the gateway's **stored copy** (not a live WhatsApp " +
  'query), ordered for display: pinned first, then most recent activity, ties broken by id. Page through ' +
  'results with `limit` and `cursor`: send the `nextCursor` from the previous response back as `cursor` to ' +
  'fetch the next page. When `nextCursor` is `null` there are no more chats. Requires the `read` capability.'
const getChat =
  "Returns one chat by its id (`cid`, the chat JID), served from the gateway's **stored copy**. Use this to " +
  "read a single chat's archive/pin/mute flags and unread count. A person has one chat: once the PN↔LID " +
  'mapping is known, its phone-number JID and its LID (`…@lid`) answer the same chat, here and in every ' +
  '`/chats/{cid}` route. Requires the `read` capability.'

const TypingState = t.Union([t.Literal('composing'), t.Literal('recording'), t.Literal('paused')])
const Until = t.Integer({ minimum: 0, description: 'Mute end, epoch ms; absent = forever' })
const appState =
  'An app-state change on WhatsApp (the phone shows it too): the stored chat changes only once WhatsApp accepted ' +
  'it, raises `chat.updated`, and the updated chat is returned. Requires `send`.'
const action = (operationId: string, summary: string, what: string) => ({
  operationId,
  summary,
  description: `${what} ${appState}`,
  responses: { 200: Chat },
})

const chatMethods = customMethods({
  markRead: action('markChatRead', 'Mark a chat read', 'Sends read receipts for the unread messages; `unreadCount` 0.'),
  markUnread: action('markChatUnread', 'Mark a chat unread', 'Marks the chat unread.'),
  archive: action('archiveChat', 'Archive a chat', 'Archives the chat.'),
  unarchive: action('unarchiveChat', 'Unarchive a chat', 'Moves the chat out of the archive.'),
  pin: action('pinChat', 'Pin a chat', 'Pins the chat.'),
  unpin: action('unpinChat', 'Unpin a chat', 'Unpins the chat.'),
  mute: {
    ...action('muteChat', 'Mute a chat', 'Mutes the chat until `until` (epoch ms), or forever without it.'),
    body: t.Object({ until: t.Optional(Until) }),
  },
  unmute: action('unmuteChat', 'Unmute a chat', 'Unmutes the chat.'),
  typing: {
    operationId: 'sendTyping',
    summary: 'Show typing in a chat',
    description: 'Shows a chat state (`composing`, `recording`, `paused`) to the other side. Requires `send`.',
    body: t.Object({ state: TypingState }),
    responses: { 204: t.Void() },
  },
})

export function chatRoutes({ repos, engine, authenticate }: HttpDeps) {
  const { sessions, chats, messages } = repos
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }
  const ChatPage = PageOf(Chat)
  const MessagePage = PageOf(Message)
  const storedChat = async (sid: string, cid: string) => {
    const chat = await chats.get(sid, cid)
    if (!chat) throw notFound('chat')
    return chat
  }

  return new Elysia({ prefix: '/api/v1/sessions/:sid/chats', tags: ['chats'] })
    .use(authPlugin(authenticate))
    .get(
      '',
      async ({ principal, params, query, set }) =>
        served(set, ChatPage, await chats.page(await ownSessionId(sessions, principal, params.sid), pageOf(query))),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: ChatPage, ...errors },
        detail: { operationId: 'listChats', summary: 'List chats', description: listChats },
      },
    )
    .get(
      '/:cid',
      async ({ principal, params }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const chat = await chats.get(session.id, pathId(params.cid, 'cid'))
        if (!chat) throw notFound('chat')
        return chat
      },
      {
        auth: 'read',
        response: { 200: Chat, ...errors },
        detail: { operationId: 'getChat', summary: 'Get a chat', description: getChat },
      },
    )
    .get(
      '/:cid/messages',
      async ({ principal, params, query, set }) => {
        const sid = await ownSessionId(sessions, principal, params.sid)
        const cid = pathId(params.cid, 'cid')
        const q = pageOf(query)
        // Messages are stored only with their chat, so a page with messages under the JID as given answers without
        // looking the chat up. The lookup is for the rest: a LID names its person's phone-number chat, an empty page
        // is a stored chat's or a 404, and a cursor issued while the chat was the LID's still works.
        if (!cid.endsWith('@lid')) {
          const page = await messages.page(sid, cid, q).catch((e: unknown) => {
            if (e instanceof AppError) return null
            throw e
          })
          if (page?.data.length) return served(set, MessagePage, page)
        }
        const chat = await chats.ref(sid, cid)
        if (!chat) throw notFound('chat')
        return served(set, MessagePage, await messages.page(sid, chat.jid, q, chat.lid))
      },
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: MessagePage, ...errors },
        detail: {
          operationId: 'listMessages',
          summary: "List a chat's messages",
          description: 'Stored messages of the chat, newest first.',
        },
      },
    )
    .post(
      '/:cid',
      async ({ principal, params, body, set }) => {
        const { id: cid, verb } = chatMethods.split(params.cid, 'cid')
        const session = await ownSession(sessions, principal, params.sid)
        // A LID names the person's phone-number chat once the mapping is known: act on the stored chat's JID.
        const { jid } = await storedChat(session.id, cid)
        if (verb === 'typing') {
          if (!body?.state) throw new AppError('validation_error', 'state is required', { field: 'state' })
          await engine.sendTyping(session.id, jid, body.state)
          set.status = 204
          return
        }
        const until = body?.until
        if (until !== undefined && until <= Date.now())
          throw new AppError('validation_error', 'until must be in the future', { field: 'until' })
        const action: ChatAction = verb === 'mute' ? { kind: 'mute', until: until ?? null } : { kind: verb }
        await engine.chatAction(session.id, jid, action)
        return await storedChat(session.id, jid)
      },
      {
        auth: 'send',
        body: t.Optional(
          t.Nullable(
            t.Object({
              until: t.Optional(Until),
              state: t.Optional(TypingState),
            }),
          ),
        ),
        response: { 200: Chat, 204: t.Void(), ...live },
        detail: { summary: 'Chat actions', ...chatMethods.detail },
      },
    )
    .delete(
      '/:cid',
      async ({ principal, params, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const { jid } = await storedChat(session.id, pathId(params.cid, 'cid'))
        await engine.chatAction(session.id, jid, { kind: 'delete' })
        set.status = 204
      },
      {
        auth: 'send',
        response: { 204: t.Void(), ...live },
        detail: {
          operationId: 'deleteChat',
          summary: 'Delete a chat',
          description:
            'Deletes the chat on the account (app-state sync, so the phone loses it too) and then from the stored ' +
            'copy with its messages; raises `chat.deleted`. Requires `send`.',
        },
      },
    )
}
