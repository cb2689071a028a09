// The engine of a gateway with no WhatsApp connection: lifecycle requests record the desired
// state, live operations answer 409 session_not_connected. Used where a test exercises the HTTP
// contract (auth, validation, 404s) rather than WhatsApp.
import { AppError } from '../../src/errors.ts'
import type { SessionEngine } from '../../src/sessions/engine.ts'
import type { Stores } from '../../src/store/index.ts'

const notConnected = async (): Promise<never> => {
  throw new AppError('session_not_connected', 'session is not connected')
}

export function offlineEngine(stores: Stores): SessionEngine {
  return {
    start: async (id) => void stores.sessions.setLive(id, { desiredState: 'running' }),
    stop: async (id) => void stores.sessions.setLive(id, { desiredState: 'stopped', status: 'stopped' }),
    restart: async () => {},
    logout: notConnected,
    remove: async () => {},
    qr: async () => null,
    requestPairingCode: notConnected,
    send: notConnected,
    react: notConnected,
    edit: notConnected,
    revoke: notConnected,
    forward: notConnected,
    createChannel: notConnected,
    followChannel: notConnected,
    unfollowChannel: notConnected,
    muteChannel: notConnected,
    createGroup: notConnected,
    refreshGroup: notConnected,
    updateGroup: notConnected,
    groupParticipants: notConnected,
    groupInvite: notConnected,
    joinGroup: notConnected,
    leaveGroup: notConnected,
    checkPhones: notConnected,
    contactPicture: notConnected,
    setBlocked: notConnected,
    setPresence: notConnected,
    sendTyping: notConnected,
    subscribePresence: notConnected,
    chatAction: notConnected,
    restore: async () => {},
    shutdown: async () => {},
  }
}
