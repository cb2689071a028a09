// The contract between the HTTP layer and the session supervisor (live WhatsApp connections).
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
  /** The QR the session is waiting to have scanned, or null when it is not waiting for one. */
  qr(sessionId: string): { qr: string; expiresAt: number } | null
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
  /** Reconnects every session whose desired state is running, staggered. */
  restore(): Promise<void>
  /** Flushes buffered events and closes every socket. */
  shutdown(): Promise<void>
}
