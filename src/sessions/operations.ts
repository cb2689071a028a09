// What the API does on a connected session: send text and the channel commands, each recorded in the store.
import type { Message } from '../domain/message.ts'
import { AppError } from '../errors.ts'
import { emptyBatch } from '../whatsapp/records.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import type { SendText, SessionEngine } from './engine.ts'
import type { Ingest } from './ingest.ts'

type Operations = Pick<
  SessionEngine,
  'sendText' | 'createChannel' | 'followChannel' | 'unfollowChannel' | 'muteChannel'
>

export function createOperations(deps: {
  ingest: Ingest
  /** The session's socket, or `session_not_connected`. */
  connectedSock(sessionId: string): WaSocket
  clock(): number
}): Operations {
  const { ingest, connectedSock, clock } = deps
  return {
    async sendText(sessionId, input: SendText): Promise<Message> {
      const sock = connectedSock(sessionId)
      const quoted = input.quotedMessageId ? ingest.quotable(sessionId, input.quotedMessageId) : null
      if (input.quotedMessageId && !quoted) throw new AppError('not_found', 'quoted message not found')
      const planned = sock.plannedText(
        { to: input.to, text: input.text, quoted, mentions: input.mentions ?? [] },
        clock(),
      )
      // Stored (pending, with its outbox event) before the send, so the Baileys echo and the acks find the row
      // and a crash mid-send leaves a visible pending message rather than nothing.
      const message = ingest.sent(sessionId, planned)
      try {
        await sock.sendPlanned(planned, quoted)
      } catch (e) {
        const failed = emptyBatch()
        const error = e instanceof Error ? e.message : String(e)
        failed.updates.push({ chatJid: planned.chatJid, waId: planned.waId, fromMe: true, status: 'error', error })
        ingest.batch(sessionId, failed)
        throw e
      }
      return message
    },
    async createChannel(sessionId, input) {
      const info = await connectedSock(sessionId).createChannel(input.name, input.description)
      ingest.channel(sessionId, info.jid, { ...info, following: true })
      return { jid: info.jid }
    },
    async followChannel(sessionId, jid) {
      const sock = connectedSock(sessionId)
      await sock.followChannel(jid)
      // Name and role are a nicety: a metadata failure must not undo a follow that happened.
      const info = await sock.channelMetadata(jid).catch(() => null)
      ingest.channel(sessionId, jid, { ...(info ?? {}), following: true })
    },
    async unfollowChannel(sessionId, jid) {
      await connectedSock(sessionId).unfollowChannel(jid)
      ingest.channel(sessionId, jid, { following: false })
    },
    async muteChannel(sessionId, jid, mute) {
      await connectedSock(sessionId).muteChannel(jid, mute)
      ingest.channel(sessionId, jid, { muted: mute })
    },
  }
}
