// Every authenticated route of the API, as data: the auth matrix runs each case over all of them.
import type { Capability } from '../../src/domain/capability.ts'

export type RouteCase = {
  method: string
  /** `{sid}` is replaced by a session of the caller's org, `{key}` by an API key id of it. */
  path: string
  cap: Capability
  body?: unknown
  /** The route names a resource of the org (a 404 for another org's principal). */
  scoped: boolean
  /**
   * The exact status a principal holding the capability gets, against the offline engine (no WhatsApp
   * connection: live operations answer 409 session_not_connected).
   */
  status: number
}

const channel = '120363012345678901%40newsletter'
/** The chat the auth matrix seeds in every session (seedChats' first). */
export const chat = '62800000000%40s.whatsapp.net'
const group = '120363012345678901%40g.us'
const lid = '205227043110953%40lid'

export const routes: RouteCase[] = [
  { method: 'POST', path: '/api/v1/sessions', cap: 'manage', body: { name: 'n' }, scoped: false, status: 201 },
  { method: 'GET', path: '/api/v1/sessions', cap: 'read', scoped: false, status: 200 },
  { method: 'GET', path: '/api/v1/sessions/{sid}', cap: 'read', scoped: true, status: 200 },
  { method: 'PATCH', path: '/api/v1/sessions/{sid}', cap: 'manage', body: { name: 'm' }, scoped: true, status: 200 },
  { method: 'DELETE', path: '/api/v1/sessions/{sid}', cap: 'manage', scoped: true, status: 204 },
  { method: 'GET', path: '/api/v1/sessions/{sid}/qr', cap: 'manage', scoped: true, status: 409 },
  { method: 'POST', path: '/api/v1/sessions/{sid}:start', cap: 'manage', scoped: true, status: 200 },
  { method: 'POST', path: '/api/v1/sessions/{sid}:stop', cap: 'manage', scoped: true, status: 200 },
  { method: 'POST', path: '/api/v1/sessions/{sid}:restart', cap: 'manage', scoped: true, status: 200 },
  { method: 'POST', path: '/api/v1/sessions/{sid}:logout', cap: 'manage', scoped: true, status: 409 },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}:requestPairingCode',
    cap: 'manage',
    body: { phone: '6281234567890' },
    scoped: true,
    status: 409,
  },
  { method: 'GET', path: '/api/v1/sessions/{sid}/chats', cap: 'read', scoped: true, status: 200 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/chats/${chat}`, cap: 'read', scoped: true, status: 200 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/chats/${chat}/messages`, cap: 'read', scoped: true, status: 200 },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/messages',
    cap: 'send',
    body: { to: '6281234567890', text: 'hi' },
    scoped: true,
    status: 409,
  },
  { method: 'GET', path: '/api/v1/sessions/{sid}/channels', cap: 'read', scoped: true, status: 200 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/channels/${channel}`, cap: 'read', scoped: true, status: 404 },
  {
    method: 'GET',
    path: `/api/v1/sessions/{sid}/channels/${channel}/messages`,
    cap: 'send',
    scoped: true,
    status: 200,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/channels',
    cap: 'send',
    body: { name: 'News' },
    scoped: true,
    status: 409,
  },
  { method: 'POST', path: `/api/v1/sessions/{sid}/channels/${channel}:follow`, cap: 'send', scoped: true, status: 409 },
  {
    method: 'POST',
    path: `/api/v1/sessions/{sid}/channels/${channel}:unfollow`,
    cap: 'send',
    scoped: true,
    status: 409,
  },
  { method: 'POST', path: `/api/v1/sessions/{sid}/channels/${channel}:mute`, cap: 'send', scoped: true, status: 409 },
  { method: 'POST', path: '/api/v1/sessions/{sid}/media', cap: 'send', body: { x: 1 }, scoped: true, status: 400 },
  {
    method: 'GET',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}`,
    cap: 'read',
    scoped: true,
    status: 200,
  },
  {
    method: 'PATCH',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}`,
    cap: 'send',
    body: { text: 'edited' },
    scoped: true,
    status: 409,
  },
  {
    method: 'DELETE',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}`,
    cap: 'send',
    scoped: true,
    status: 409,
  },
  {
    method: 'POST',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}:react`,
    cap: 'send',
    body: { emoji: '👍' },
    scoped: true,
    status: 409,
  },
  {
    method: 'POST',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}:forward`,
    cap: 'send',
    body: { to: '6281234567891' },
    scoped: true,
    status: 409,
  },
  {
    method: 'GET',
    path: `/api/v1/sessions/{sid}/chats/${chat}/messages/{mid}/media`,
    cap: 'read',
    scoped: true,
    status: 404,
  },
  ...[':markRead', ':markUnread', ':archive', ':unarchive', ':pin', ':unpin', ':mute', ':unmute'].map((verb) => ({
    method: 'POST',
    path: `/api/v1/sessions/{sid}/chats/${chat}${verb}`,
    cap: 'send' as const,
    scoped: true,
    status: 409,
  })),
  {
    method: 'POST',
    path: `/api/v1/sessions/{sid}/chats/${chat}:typing`,
    cap: 'send',
    body: { state: 'composing' },
    scoped: true,
    status: 409,
  },
  { method: 'DELETE', path: `/api/v1/sessions/{sid}/chats/${chat}`, cap: 'send', scoped: true, status: 409 },
  { method: 'GET', path: '/api/v1/sessions/{sid}/groups', cap: 'read', scoped: true, status: 200 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/groups/${group}`, cap: 'read', scoped: true, status: 404 },
  {
    method: 'GET',
    path: `/api/v1/sessions/{sid}/groups/${group}?refresh=true`,
    cap: 'read',
    scoped: true,
    status: 409,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/groups',
    cap: 'send',
    body: { subject: 'Team', participants: ['6281234567890'] },
    scoped: true,
    status: 409,
  },
  {
    method: 'PATCH',
    path: `/api/v1/sessions/{sid}/groups/${group}`,
    cap: 'send',
    body: { subject: 'x' },
    scoped: true,
    status: 409,
  },
  ...[':add', ':remove', ':promote', ':demote'].map((verb) => ({
    method: 'POST',
    path: `/api/v1/sessions/{sid}/groups/${group}/participants${verb}`,
    cap: 'send' as const,
    body: { participants: ['6281234567890'] },
    scoped: true,
    status: 409,
  })),
  { method: 'GET', path: `/api/v1/sessions/{sid}/groups/${group}/invite`, cap: 'read', scoped: true, status: 409 },
  {
    method: 'POST',
    path: `/api/v1/sessions/{sid}/groups/${group}:revokeInvite`,
    cap: 'send',
    scoped: true,
    status: 409,
  },
  { method: 'POST', path: `/api/v1/sessions/{sid}/groups/${group}:leave`, cap: 'send', scoped: true, status: 409 },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/groups:join',
    cap: 'send',
    body: { code: 'AbCdEf' },
    scoped: true,
    status: 409,
  },
  { method: 'GET', path: '/api/v1/sessions/{sid}/contacts', cap: 'read', scoped: true, status: 200 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/contacts/${lid}`, cap: 'read', scoped: true, status: 404 },
  { method: 'GET', path: `/api/v1/sessions/{sid}/contacts/${chat}/picture`, cap: 'read', scoped: true, status: 409 },
  ...[':block', ':unblock', ':subscribePresence'].map((verb) => ({
    method: 'POST',
    path: `/api/v1/sessions/{sid}/contacts/${chat}${verb}`,
    cap: 'send' as const,
    scoped: true,
    status: 409,
  })),
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/contacts:check',
    cap: 'send',
    body: { phones: ['6281234567890'] },
    scoped: true,
    status: 409,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sid}/presence',
    cap: 'send',
    body: { state: 'available' },
    scoped: true,
    status: 409,
  },
  {
    method: 'POST',
    path: '/api/v1/api-keys',
    cap: 'admin',
    body: { name: 'k', capabilities: ['read'] },
    scoped: false,
    status: 201,
  },
  { method: 'GET', path: '/api/v1/api-keys', cap: 'admin', scoped: false, status: 200 },
  { method: 'DELETE', path: '/api/v1/api-keys/{key}', cap: 'admin', scoped: true, status: 204 },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    cap: 'manage',
    body: { url: 'https://example.test/hook', events: ['message.*'] },
    scoped: false,
    status: 201,
  },
  { method: 'GET', path: '/api/v1/webhooks', cap: 'manage', scoped: false, status: 200 },
  { method: 'GET', path: '/api/v1/webhooks/{webhook}', cap: 'manage', scoped: true, status: 200 },
  {
    method: 'PATCH',
    path: '/api/v1/webhooks/{webhook}',
    cap: 'manage',
    body: { enabled: false },
    scoped: true,
    status: 200,
  },
  { method: 'DELETE', path: '/api/v1/webhooks/{webhook}', cap: 'manage', scoped: true, status: 204 },
  { method: 'POST', path: '/api/v1/webhooks/{webhook}:rotateSecret', cap: 'manage', scoped: true, status: 200 },
  { method: 'POST', path: '/api/v1/webhooks/{webhook}:test', cap: 'manage', scoped: true, status: 202 },
  { method: 'GET', path: '/api/v1/webhooks/{webhook}/deliveries', cap: 'manage', scoped: true, status: 200 },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{webhook}/deliveries/{delivery}:redeliver',
    cap: 'manage',
    scoped: true,
    status: 202,
  },
  { method: 'GET', path: '/api/v1/events', cap: 'read', scoped: false, status: 200 },
  { method: 'GET', path: '/api/v1/events?types=message.*', cap: 'read', scoped: false, status: 200 },
  { method: 'GET', path: '/api/v1/events/stream', cap: 'read', scoped: false, status: 200 },
  { method: 'GET', path: '/api/v1/me', cap: 'read', scoped: false, status: 200 },
]
