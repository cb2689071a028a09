// What the API does on a connected session: the channel commands, each recorded in the store (sends: sending.ts).
import type { WaSocket } from '../whatsapp/socket.ts'
import type { SessionEngine } from './engine.ts'
import type { EngineIngest } from './engine-store.ts'

type Operations = Pick<SessionEngine, 'createChannel' | 'followChannel' | 'unfollowChannel' | 'muteChannel'>

export function createOperations(deps: {
  ingest: EngineIngest
  /** The session's socket, or `session_not_connected`. */
  connectedSock(sessionId: string): WaSocket
}): Operations {
  const { ingest, connectedSock } = deps
  return {
    async createChannel(sessionId, input) {
      const info = await connectedSock(sessionId).createChannel(input.name, input.description)
      await ingest.channel(sessionId, info.jid, { ...info, following: true })
      return { jid: info.jid }
    },
    async followChannel(sessionId, jid) {
      const sock = connectedSock(sessionId)
      await sock.followChannel(jid)
      // Name and role are a nicety: a metadata failure must not undo a follow that happened.
      const info = await sock.channelMetadata(jid).catch(() => null)
      await ingest.channel(sessionId, jid, { ...(info ?? {}), following: true })
    },
    async unfollowChannel(sessionId, jid) {
      await connectedSock(sessionId).unfollowChannel(jid)
      await ingest.channel(sessionId, jid, { following: false })
    },
    async muteChannel(sessionId, jid, mute) {
      await connectedSock(sessionId).muteChannel(jid, mute)
      await ingest.channel(sessionId, jid, { muted: mute })
    },
  }
}
