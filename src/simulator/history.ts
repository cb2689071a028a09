// The initial history sync a freshly linked device receives from its own phone: an inline (deflated) HistorySync in
// a HISTORY_SYNC_NOTIFICATION, so no media server is needed. Content is scriptable per account (POST /accounts
// `history`); without it a small default is sent so the engine's messaging-history.set path always runs.
import { deflateSync } from 'node:zlib'
import { proto } from '@whiskeysockets/baileys'
import { messageId, type Account } from './network.ts'

export interface HistoryInput {
  chats: Array<{
    jid: string
    name?: string
    messages: Array<{ id?: string; fromMe?: boolean; text: string; timestamp?: number }>
  }>
}

export function defaultHistory(now = Date.now()): HistoryInput {
  return {
    chats: [
      {
        jid: '15550000001@s.whatsapp.net',
        name: 'Alice (history)',
        messages: [
          { text: 'Hi, this is Alice', timestamp: now - 3_600_000 },
          { text: 'Hello Alice', fromMe: true, timestamp: now - 3_500_000 },
        ],
      },
      {
        jid: '15550000002@s.whatsapp.net',
        name: 'Bob (history)',
        messages: [{ text: 'Bob here', timestamp: now - 7_200_000 }],
      },
    ],
  }
}

/** Encoded proto.Message carrying the history sync notification with an inline payload. */
export function historySyncMessage(account: Account): Uint8Array {
  const input = account.history ?? defaultHistory()
  const now = Date.now()
  const conversations: proto.IConversation[] = input.chats.map((chat) => {
    const messages = chat.messages.map((m, i) => {
      const ts = Math.floor((m.timestamp ?? now - (chat.messages.length - i) * 60_000) / 1000)
      return {
        msgOrderId: i + 1,
        message: {
          key: { remoteJid: chat.jid, fromMe: !!m.fromMe, id: m.id ?? messageId() },
          message: { conversation: m.text },
          messageTimestamp: ts,
          status: m.fromMe ? proto.WebMessageInfo.Status.READ : undefined,
        },
      }
    })
    const last = messages.at(-1)?.message.messageTimestamp
    return { id: chat.jid, name: chat.name, messages, conversationTimestamp: last, unreadCount: 0 }
  })
  const pushnames = input.chats.filter((c) => c.name).map((c) => ({ id: c.jid, pushname: c.name }))
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations,
    pushnames,
    progress: 100,
    chunkOrder: 0,
  }).finish()
  return proto.Message.encode({
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        initialHistBootstrapInlinePayload: deflateSync(history),
        progress: 100,
        chunkOrder: 0,
      },
    },
  }).finish()
}
