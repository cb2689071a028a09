// Chats from the stored copy (spec pages "List chats" and "Get a chat") and a chat's messages.
import { Elysia } from 'elysia'
import { Chat } from '../../domain/chat.ts'
import { Message } from '../../domain/message.ts'
import { notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

const listChats =
  "Returns a page of the session's chats, served from the gateway's **stored copy** (not a live WhatsApp " +
  'query), ordered for display: pinned first, then most recent activity, ties broken by id. Page through ' +
  'results with `limit` and `cursor`: send the `nextCursor` from the previous response back as `cursor` to ' +
  'fetch the next page. When `nextCursor` is `null` there are no more chats. Requires the `read` capability.'
const getChat =
  "Returns one chat by its id (`cid`, the chat JID), served from the gateway's **stored copy**. Use this to " +
  "read a single chat's archive/pin/mute flags and unread count. Requires the `read` capability."

export function chatRoutes({ stores, authenticate }: HttpDeps) {
  const { sessions, chats, messages } = stores

  return new Elysia({ prefix: '/api/v1/sessions/:sid/chats', tags: ['chats'] })
    .use(authPlugin(authenticate))
    .get(
      '',
      ({ principal, params, query }) => chats.page(ownSession(sessions, principal, params.sid).id, pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: PageOf(Chat), ...errors },
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
        const session = ownSession(sessions, principal, params.sid)
        const cid = pathId(params.cid, 'cid')
        if (!chats.get(session.id, cid)) throw notFound('chat')
        return messages.page(session.id, cid, pageOf(query))
      },
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: PageOf(Message), ...errors },
        detail: { summary: "List a chat's messages", description: 'Stored messages of the chat, newest first.' },
      },
    )
}
