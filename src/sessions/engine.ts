// The contract between the HTTP layer and the session supervisor (live WhatsApp connections).
import type { ChatAction } from '../domain/chat.ts'
import type { PhoneCheck } from '../domain/contact.ts'
import type { GroupPatch, ParticipantAction, ParticipantResult } from '../domain/group.ts'
import type { Message } from '../domain/message.ts'
import type { SendInput } from '../domain/outbound.ts'
import type { Upload } from './send-input.ts'

export type { Upload }

/**
 * What the API can ask of live sessions. Every method takes an already-authorised session id
 * (the caller checked the session belongs to the principal's organisation) and throws `AppError`:
 * `session_not_connected` when the operation needs a connected socket and there is none,
 * `conflict` when the session is not in a state that allows it, `upstream_error` when WhatsApp refused.
 */
export interface SessionEngine {
  /** Marks the session to run (restored at boot) and connects it. */
  start(sessionId: string): Promise<void>
  /** Marks the session stopped and closes its socket without logging out. */
  stop(sessionId: string): Promise<void>
  restart(sessionId: string): Promise<void>
  /** Logs the device out of WhatsApp (unlinks it), wipes its creds; status `logged_out`. */
  logout(sessionId: string): Promise<void>
  /** Closes the live socket of a session about to be deleted. */
  remove(sessionId: string): Promise<void>
  /**
   * The QR the session is waiting to have scanned, or null when it is not waiting for one. A promise: on a cluster
   * the QR lives on the node that runs the session.
   */
  qr(sessionId: string): Promise<{ qr: string; expiresAt: number } | null>
  requestPairingCode(sessionId: string, phone: string): Promise<{ code: string }>
  /**
   * Queues a message of any kind (`upload`: a multipart file): stored `pending` with its event and its queue row in
   * one transaction, media first written to the data dir. `rate_limited` when the session's queue is full.
   */
  send(sessionId: string, input: SendInput, upload?: Upload | null): Promise<Message>
  /** Queues this account's reaction on a stored message ("" removes it). */
  react(sessionId: string, chatJid: string, waId: string, emoji: string): Promise<void>
  /** Queues an edit of an own text message; `conflict` outside WhatsApp's edit window. */
  edit(sessionId: string, chatJid: string, waId: string, text: string): Promise<void>
  /** Queues a delete-for-everyone of an own message; the stored row is kept with `deleted: true`. */
  revoke(sessionId: string, chatJid: string, waId: string): Promise<void>
  /** Queues a forward of a stored message to `to`; answers the new `pending` message. */
  forward(sessionId: string, chatJid: string, waId: string, to: string): Promise<Message>
  createChannel(sessionId: string, input: { name: string; description?: string }): Promise<{ jid: string }>
  followChannel(sessionId: string, jid: string): Promise<void>
  unfollowChannel(sessionId: string, jid: string): Promise<void>
  muteChannel(sessionId: string, jid: string, mute: boolean): Promise<void>
  /** Creates a group with us as superadmin; stored (with its members) before this resolves. */
  createGroup(sessionId: string, input: { subject: string; participants: string[] }): Promise<{ jid: string }>
  /** Fetches a group's metadata from WhatsApp and stores it. */
  refreshGroup(sessionId: string, jid: string): Promise<void>
  /** Applies each given setting in turn, storing each once WhatsApp accepted it. */
  updateGroup(sessionId: string, jid: string, patch: GroupPatch): Promise<void>
  /** WhatsApp's answer for every participant; the accepted ones are stored. */
  groupParticipants(
    sessionId: string,
    jid: string,
    action: ParticipantAction,
    participants: string[],
  ): Promise<ParticipantResult[]>
  groupInvite(sessionId: string, jid: string, revoke: boolean): Promise<{ code: string; url: string }>
  joinGroup(sessionId: string, code: string): Promise<{ jid: string }>
  leaveGroup(sessionId: string, jid: string): Promise<void>
  /** Which phone numbers are on WhatsApp (usync, batched, cached briefly); in the order asked. */
  checkPhones(sessionId: string, phones: string[]): Promise<PhoneCheck[]>
  /** The profile picture URL, or null when there is none or it is hidden from us. */
  contactPicture(sessionId: string, jid: string): Promise<string | null>
  setBlocked(sessionId: string, jid: string, blocked: boolean): Promise<void>
  setPresence(sessionId: string, state: 'available' | 'unavailable'): Promise<void>
  sendTyping(sessionId: string, chatJid: string, state: 'composing' | 'recording' | 'paused'): Promise<void>
  subscribePresence(sessionId: string, jid: string): Promise<void>
  /** An app-state chat action; the stored chat changes once WhatsApp accepted it. */
  chatAction(sessionId: string, chatJid: string, action: ChatAction): Promise<void>
  /** Reconnects every session whose desired state is running, staggered. */
  restore(): Promise<void>
  /** Flushes buffered events and closes every socket. */
  shutdown(): Promise<void>
}
