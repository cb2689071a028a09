// The group, contact, presence and chat-action operations a socket exposes, bound to its Baileys socket.
import type { WASocket } from '@whiskeysockets/baileys'
import * as c from './contact-commands.ts'
import * as g from './group-commands.ts'

export type { ChatAction, StoredKey } from './contact-commands.ts'
export type { FullGroup, GroupChange } from './group-commands.ts'

export function socketOps(sock: WASocket) {
  return {
    groupMetadata: (jid: string) => g.groupMetadata(sock, jid),
    groupCreate: (subject: string, participants: string[]) => g.groupCreate(sock, subject, participants),
    groupUpdate: (jid: string, change: g.GroupChange) => g.groupUpdate(sock, jid, change),
    groupParticipants: (jid: string, participants: string[], action: 'add' | 'remove' | 'promote' | 'demote') =>
      g.groupParticipants(sock, jid, participants, action),
    groupInviteCode: (jid: string, revoke = false) => g.groupInviteCode(sock, jid, revoke),
    groupJoin: (code: string) => g.groupJoin(sock, code),
    groupLeave: (jid: string) => g.groupLeave(sock, jid),
    checkPhones: (phones: string[]) => c.checkPhones(sock, phones),
    pictureUrl: (jid: string) => c.pictureUrl(sock, jid),
    setBlocked: (jid: string, blocked: boolean) => c.setBlocked(sock, jid, blocked),
    setPresence: (state: 'available' | 'unavailable') => c.setPresence(sock, state),
    setTyping: (jid: string, state: 'composing' | 'recording' | 'paused') => c.setTyping(sock, jid, state),
    subscribePresence: (jid: string) => c.subscribePresence(sock, jid),
    chatModify: (jid: string, action: c.ChatAction, lastMessages: c.StoredKey[]) =>
      c.chatModify(sock, jid, action, lastMessages),
    readMessages: (keys: c.StoredKey[]) => c.readMessages(sock, keys),
  }
}
