// What an account shows other accounts and how it reacts to them: its "add me to groups" privacy setting and address
// book, its block list (IQ `blocklist`, announced to its devices with an `account_sync` notification), its profile
// picture (IQ `w:profile:picture`), and presence: what its linked clients announce (presence, chatstates), who
// subscribed to whose presence, and the phones' own presence and typing pushed to subscribed clients.
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys'
import type { Delivery } from './delivery.ts'
import { messageId, nowSeconds, type Account, type Conn, type LinkedDevice, type Network } from './network.ts'

export type GroupAddPrivacy = 'all' | 'contacts' | 'none'
export type Chatstate = 'composing' | 'recording' | 'paused'

interface Social {
  groupAdd: GroupAddPrivacy
  /** Address book: phones this account has saved (what `contacts` privacy checks). */
  book: Set<string>
  /** Phones this account blocked. */
  blocked: Set<string>
  picture?: { url: string; id: string } | 'hidden'
  presence: 'available' | 'unavailable'
  lastSeen: number
  /** Chatstates linked clients of other accounts sent to this account, newest last. */
  chatstatesIn: Array<{ from: string; state: Chatstate; at: number }>
}

export class Contacts {
  private readonly social = new Map<string, Social>()
  /** Target phone → linked devices that subscribed to its presence. */
  private readonly subscribers = new Map<string, Set<LinkedDevice>>()

  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
  ) {}

  of(a: Account): Social {
    let s = this.social.get(a.phone)
    if (!s) {
      s = {
        groupAdd: 'all',
        book: new Set(),
        blocked: new Set(),
        presence: 'unavailable',
        lastSeen: nowSeconds(),
        chatstatesIn: [],
      }
      this.social.set(a.phone, s)
    }
    return s
  }

  /** Whether `target`'s privacy lets `adder` put it in a group. */
  allowsGroupAdd(target: Account, adder: Account): boolean {
    const s = this.of(target)
    if (s.groupAdd === 'none') return false
    if (s.groupAdd === 'contacts') return s.book.has(adder.phone)
    return true
  }

  setPrivacy(a: Account, change: { groupAdd?: GroupAddPrivacy; contacts?: string[] }): void {
    const s = this.of(a)
    if (change.groupAdd) s.groupAdd = change.groupAdd
    if (change.contacts) s.book = new Set(change.contacts)
  }

  /** Blocks or unblocks; every linked device of `a` hears it through `account_sync` (Baileys: blocklist.update). */
  setBlocked(a: Account, target: Account, block: boolean): void {
    const s = this.of(a)
    if (block) s.blocked.add(target.phone)
    else s.blocked.delete(target.phone)
    for (const device of a.devices.values()) {
      const id = messageId()
      const node: BinaryNode = {
        tag: 'notification',
        attrs: { from: a.jid, type: 'account_sync', id, t: String(nowSeconds()) },
        content: [
          {
            tag: 'blocklist',
            attrs: {},
            content: [{ tag: 'item', attrs: { jid: target.jid, action: block ? 'block' : 'unblock' } }],
          },
        ],
      }
      this.delivery.enqueue(device, { kind: 'raw', id, node })
    }
  }

  /** IQ xmlns=blocklist: get answers the list; set applies `<item action jid [pn_jid]>`. */
  blocklistIq(device: LinkedDevice | undefined, node: BinaryNode): BinaryNode[] | undefined {
    if (!device) return undefined
    const a = device.account
    if (node.attrs.type === 'get') {
      const items = [...this.of(a).blocked].map((phone) => ({ tag: 'item', attrs: { jid: `${phone}@s.whatsapp.net` } }))
      return [{ tag: 'list', attrs: {}, content: items }]
    }
    const item = getBinaryNodeChild(node, 'item')
    const target = this.net.resolve(item?.attrs.pn_jid) ?? this.net.resolve(item?.attrs.jid)
    if (item && target) this.setBlocked(a, target.account, item.attrs.action === 'block')
    return undefined
  }

  setPicture(a: Account, picture: { url: string } | 'hidden' | null): void {
    const s = this.of(a)
    if (picture === null) s.picture = undefined
    else if (picture === 'hidden') s.picture = 'hidden'
    else s.picture = { url: picture.url, id: String(nowSeconds()) }
  }

  /** IQ w:profile:picture get: `<picture url id type>`, 404 without a picture, 401 when hidden. */
  pictureIq(node: BinaryNode): BinaryNode[] | undefined {
    if (node.attrs.type !== 'get') return undefined
    const target = this.net.resolve(node.attrs.target)
    const pic = target ? this.of(target.account).picture : undefined
    if (pic === 'hidden') throw Object.assign(new Error('not-authorized'), { status: 401 })
    if (!pic) throw Object.assign(new Error('item-not-found'), { status: 404 })
    const type = getBinaryNodeChild(node, 'picture')?.attrs.type ?? 'image'
    return [{ tag: 'picture', attrs: { url: pic.url, id: pic.id, type } }]
  }

  /** `<presence>` and `<chatstate>` stanzas a linked client sends. */
  onClientStanza(conn: Conn, node: BinaryNode): void {
    const device = conn.device
    if (!device) return
    if (node.tag === 'presence') {
      const type = node.attrs.type
      if (type === 'subscribe') {
        const target = this.net.resolve(node.attrs.to)
        if (!target) return
        let subs = this.subscribers.get(target.account.phone)
        if (!subs) this.subscribers.set(target.account.phone, (subs = new Set()))
        subs.add(device)
        conn.send(this.presenceNode(target.account))
        return
      }
      if (type === 'available' || type === 'unavailable') this.setPresence(device.account, type)
      return
    }
    if (node.tag === 'chatstate') {
      const target = this.net.resolve(node.attrs.to)
      const child = Array.isArray(node.content) ? node.content[0] : undefined
      if (!target || !child) return
      const state: Chatstate =
        child.tag === 'composing' ? (child.attrs.media === 'audio' ? 'recording' : 'composing') : 'paused'
      const list = this.of(target.account).chatstatesIn
      list.push({ from: device.account.jid, state, at: Date.now() })
      if (list.length > 100) list.shift()
    }
  }

  private presenceNode(a: Account): BinaryNode {
    const s = this.of(a)
    const attrs: Record<string, string> = { from: a.jid }
    if (s.presence === 'unavailable') Object.assign(attrs, { type: 'unavailable', last: String(s.lastSeen) })
    return { tag: 'presence', attrs }
  }

  /** Sets an account's presence and pushes it to the clients subscribed to it. */
  setPresence(a: Account, state: 'available' | 'unavailable'): void {
    const s = this.of(a)
    if (s.presence === 'available' && state === 'unavailable') s.lastSeen = nowSeconds()
    s.presence = state
    this.push(a, this.presenceNode(a))
  }

  /**
   * The phone `a` types in its chat with `to` (a contact or a group): pushed to the linked devices of `to` or of the
   * group's members. The typist is named as their messages name them: by LID in a LID-addressed group and, one to
   * one, by LID while the account sends as its LID.
   */
  chatstate(a: Account, toJid: string, state: Chatstate, group?: { members: Account[]; lid: boolean }): void {
    const child: BinaryNode =
      state === 'paused'
        ? { tag: 'paused', attrs: {} }
        : { tag: 'composing', attrs: state === 'recording' ? { media: 'audio' } : {} }
    if (group) {
      const participant = group.lid ? a.lid : a.jid
      const node: BinaryNode = { tag: 'chatstate', attrs: { from: toJid, participant }, content: [child] }
      for (const m of group.members) if (m !== a) for (const d of m.devices.values()) this.sendLive(d, node)
      return
    }
    const to = this.net.resolve(toJid)
    if (!to) return
    const node: BinaryNode = { tag: 'chatstate', attrs: { from: a.sendsAsLid ? a.lid : a.jid }, content: [child] }
    for (const d of to.account.devices.values()) this.sendLive(d, node)
  }

  private push(a: Account, node: BinaryNode): void {
    for (const d of this.subscribers.get(a.phone) ?? []) this.sendLive(d, node)
  }

  /** Presence is ephemeral: only a connected device gets it, nothing is queued. */
  private sendLive(d: LinkedDevice, node: BinaryNode): void {
    if (d.conn?.ready && !d.conn.closed) d.conn.send(node)
  }

  view(a: Account) {
    const s = this.of(a)
    return {
      phone: a.phone,
      groupAdd: s.groupAdd,
      contacts: [...s.book],
      blocked: [...s.blocked].map((p) => `${p}@s.whatsapp.net`),
      picture: s.picture === 'hidden' ? 'hidden' : (s.picture?.url ?? null),
      presence: s.presence,
      lastSeen: s.lastSeen * 1000,
      chatstates: s.chatstatesIn,
    }
  }
}
