// Each account's chats as its phone shows them: archived, pinned, muted until, unread. App-state mutations (from a
// linked client or the phone itself) change the flags; unread counts come from the messages the account received
// after the chat was last read.
import { proto } from '@whiskeysockets/baileys'
import type { Account, Network } from './network.ts'

export interface ChatView {
  jid: string
  archived: boolean
  pinned: boolean
  /** As the mute action carried it (Baileys puts chatModify's value there unchanged); null = not muted. */
  mutedUntil: number | null
  /** Marked unread by hand (WhatsApp shows a dot even with no unread message). */
  markedUnread: boolean
  readAt: number
  deletedAt: number | null
}

export interface ChatRow {
  jid: string
  archived: boolean
  pinned: boolean
  mutedUntil: number | null
  unreadCount: number
  markedUnread: boolean
}

const num = (v: unknown) => (v == null ? null : Number(v))

export class ChatViews {
  private readonly chats = new Map<string, Map<string, ChatView>>()

  constructor(private readonly net: Network) {}

  private chat(a: Account, jid: string): ChatView {
    let m = this.chats.get(a.phone)
    if (!m) this.chats.set(a.phone, (m = new Map()))
    let c = m.get(jid)
    if (!c) {
      c = { jid, archived: false, pinned: false, mutedUntil: null, markedUnread: false, readAt: 0, deletedAt: null }
      m.set(jid, c)
    }
    return c
  }

  /** One chat per contact, as the phone shows it: a contact's LID JID names the same chat as its PN JID. */
  key(jid: string): string {
    return jid.endsWith('@lid') ? (this.net.resolve(jid)?.account.jid ?? jid) : jid
  }

  /** Applies decoded mutations: index `[action, jid, …]`, value a SyncActionValue. */
  apply(a: Account, mutations: Array<{ index: string[]; value: proto.ISyncActionValue }>): void {
    for (const { index, value } of mutations) {
      const [action, jid] = index
      if (!jid) continue
      const c = this.chat(a, this.key(jid))
      const at = num(value.timestamp) ?? Date.now()
      if (action === 'archive') c.archived = !!value.archiveChatAction?.archived
      else if (action === 'pin_v1') c.pinned = !!value.pinAction?.pinned
      else if (action === 'mute') c.mutedUntil = value.muteAction?.muted ? num(value.muteAction.muteEndTimestamp) : null
      else if (action === 'markChatAsRead') {
        const read = !!value.markChatAsReadAction?.read
        c.markedUnread = !read
        if (read) c.readAt = at
      } else if (action === 'deleteChat') {
        Object.assign(c, { archived: false, pinned: false, mutedUntil: null, markedUnread: false, readAt: at })
        c.deletedAt = at
      }
    }
  }

  /** Timestamps (ms) of the messages `a` received, per contact's chat: one pass over its inbox and each sent log. */
  private received(a: Account): Map<string, number[]> {
    const inbox = new Map<string, number[]>()
    for (const m of a.inbox) {
      const t = inbox.get(m.from)
      if (t) t.push(m.timestamp)
      else inbox.set(m.from, [m.timestamp])
    }
    const out = new Map<string, number[]>()
    for (const other of this.net.accounts.values()) {
      if (other === a) continue
      const t = inbox.get(other.jid) ?? []
      for (const s of other.sent) if (s.to === a.jid) t.push(s.timestamp)
      if (t.length) out.set(other.jid, t)
    }
    return out
  }

  /** Chats the phone knows: any with app state, any it received a message in. */
  list(a: Account, groupMessages: (a: Account) => Map<string, number[]>): ChatRow[] {
    const m = this.chats.get(a.phone) ?? new Map<string, ChatView>()
    const times = new Map<string, number[]>(groupMessages(a))
    for (const [jid, t] of this.received(a)) times.set(jid, t)
    const jids = new Set([...m.keys(), ...times.keys()])
    const rows: ChatRow[] = []
    for (const jid of jids) {
      const c = m.get(jid) ?? this.chat(a, jid)
      const since = Math.max(c.readAt, c.deletedAt ?? 0)
      const unread = (times.get(jid) ?? []).filter((t) => t > since).length
      if (c.deletedAt !== null && !unread && !c.archived && !c.pinned && c.mutedUntil === null) continue
      rows.push({
        jid,
        archived: c.archived,
        pinned: c.pinned,
        mutedUntil: c.mutedUntil,
        unreadCount: unread,
        markedUnread: c.markedUnread,
      })
    }
    return rows.sort((x, y) => x.jid.localeCompare(y.jid))
  }
}
