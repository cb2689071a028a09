// Group messages with real sender keys, both ways.
// Client → group: the stanza carries one `skmsg` plus, for devices that lack the sender's key, a pkmsg/msg per device
// holding the SenderKeyDistributionMessage. Member phones decrypt their SKDM copy and then the skmsg; other members'
// linked devices get the stanza relayed (their SKDM copy, if any, then the skmsg) as `from=G participant=sender`.
// Phone → group: the phone encrypts with its own sender key and sends each linked device of each member the skmsg,
// preceded by its SKDM (in a Signal message) the first time that device hears from it in that group.
// A phone posts any content a phone can send (text, media, poll, an encrypted poll vote, …); a poll is remembered by
// every member phone, so each can vote on it, and member phones read the polls and votes clients send.
import { getBinaryNodeChild, getBinaryNodeChildren, proto, type BinaryNode } from '@whiskeysockets/baileys'
import type { ContentBuilder, ContentInput } from './content.ts'
import type { Delivery } from './delivery.ts'
import { GroupError, type Group, type GroupMessage, type Groups } from './groups.ts'
import { messageId, nowSeconds, type Account, type Conn, type LinkedDevice, type Network } from './network.ts'
import type { Receiver } from './received.ts'
import { SenderKeyRing } from './sender-keys.ts'
import { ProtocolAddress } from './signal-peer.ts'

const RECEIPT_MS = 50
const READ_MS = 120

export class GroupMessages {
  private readonly rings = new Map<string, SenderKeyRing>()
  /** `${group}|${phone}|${deviceJid}`: the device holds that phone's sender key for that group. */
  private readonly distributed = new Set<string>()

  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
    private readonly groups: Groups,
    private readonly parts: { content: ContentBuilder; receiver: Receiver },
  ) {}

  ring(a: Account): SenderKeyRing {
    let r = this.rings.get(a.phone)
    if (!r) this.rings.set(a.phone, (r = new SenderKeyRing()))
    return r
  }

  /** A linked client's message to a group. */
  async onClientMessage(conn: Conn, node: BinaryNode): Promise<void> {
    const device = conn.device
    if (!device) return
    const id = node.attrs.id ?? messageId()
    const to = node.attrs.to ?? ''
    const t = nowSeconds()
    const g = this.groups.byJid.get(to)
    const sender = device.account
    const ack: Record<string, string> = { id, class: 'message', from: to, t: String(t) }
    if (!g || !this.groups.member(g, sender) || (g.announce && !this.groups.isAdmin(g, sender))) {
      conn.send({ tag: 'ack', attrs: { ...ack, error: g ? '403' : '404' } })
      return
    }
    const skdmFor = new Map<LinkedDevice, BinaryNode>()
    for (const p of getBinaryNodeChildren(getBinaryNodeChild(node, 'participants'), 'to')) {
      const enc = getBinaryNodeChild(p, 'enc')
      const target = this.net.resolve(p.attrs.jid)
      if (!enc || !target) continue
      if (target.device === 0) await this.phoneTakesKey(target.account, device, g, enc)
      else {
        const other = target.account.devices.get(target.device)
        if (other && other !== device) skdmFor.set(other, enc)
      }
    }
    const skmsg = getBinaryNodeChildren(node, 'enc').find((e) => e.attrs.type === 'skmsg')
    const message: GroupMessage = { id, from: sender.jid, kind: 'text', text: '', timestamp: t * 1000, decryptedBy: [] }
    for (const m of g.members.values()) {
      const ring = this.ring(m.account)
      if (skmsg?.content instanceof Uint8Array && m.account !== sender && ring.has(g.jid, device.addr)) {
        try {
          const msg = proto.Message.decode(await ring.decrypt(g.jid, device.addr, skmsg.content))
          // Each member phone reads it (and remembers a poll); the message shows what the first one made of it.
          const seen = this.parts.receiver.describe(m.account, sender, id, msg)
          if (!message.decryptedBy.length) Object.assign(message, seen, { text: seen.text ?? '' })
          message.decryptedBy.push(m.account.phone)
        } catch (err) {
          this.net.log.warn(
            { err, id, group: g.jid, phone: m.account.phone },
            'simulated phone could not decrypt skmsg',
          )
        }
      }
      for (const other of m.account.devices.values()) {
        if (other === device || !skmsg) continue
        const content = [skdmFor.get(other), skmsg].filter((n): n is BinaryNode => !!n)
        const attrs = this.senderAttrs(g, sender, device, id, t, node.attrs.type ?? 'text')
        this.delivery.enqueue(other, { kind: 'raw', id, node: { tag: 'message', attrs, content } })
      }
    }
    g.messages.push(message)
    conn.send({ tag: 'ack', attrs: ack })
    this.memberReceipts(conn, g, sender, id)
  }

  /** A member phone's copy of the SKDM: decrypt it with the phone's session with the device, keep the key. */
  private async phoneTakesKey(phone: Account, device: LinkedDevice, g: Group, enc: BinaryNode): Promise<void> {
    if (!(enc.content instanceof Uint8Array)) return
    try {
      const msg = proto.Message.decode(await phone.peer.decrypt(device.addr, enc.attrs.type ?? 'msg', enc.content))
      const skdm = msg.senderKeyDistributionMessage?.axolotlSenderKeyDistributionMessage
      if (skdm) await this.ring(phone).process(g.jid, device.addr, skdm)
    } catch (err) {
      this.net.log.warn({ err, group: g.jid, phone: phone.phone }, 'simulated phone could not take a sender key')
    }
  }

  private senderAttrs(g: Group, a: Account, device: LinkedDevice | undefined, id: string, t: number, type = 'text') {
    const attrs: Record<string, string> = { id, from: g.jid, t: String(t), type, notify: a.name }
    if (g.addressingMode === 'lid') {
      Object.assign(attrs, {
        participant: device?.lidJid ?? a.lid,
        participant_pn: device?.jid ?? a.jid,
        addressing_mode: 'lid',
      })
    } else Object.assign(attrs, { participant: device?.jid ?? a.jid, participant_lid: device?.lidJid ?? a.lid })
    return attrs
  }

  /** Each other member phone receipts the client's group message (delivery, then read per its setting). */
  private memberReceipts(conn: Conn, g: Group, sender: Account, id: string): void {
    for (const m of g.members.values()) {
      const phone = m.account
      if (phone === sender || phone.receipts === 'none') continue
      const send = (type?: string) => {
        if (conn.closed) return
        const attrs: Record<string, string> = { id, from: g.jid, participant: phone.jid, t: String(nowSeconds()) }
        if (type) attrs.type = type
        conn.send({ tag: 'receipt', attrs })
      }
      setTimeout(() => send(), RECEIPT_MS)
      if (phone.receipts === 'read') setTimeout(() => send('read'), READ_MS)
    }
  }

  /** A member phone posts to the group (any content a phone sends): every linked device of every member gets it. */
  async post(g: Group, from: Account, input: ContentInput): Promise<{ id: string; timestamp: number }> {
    if (!this.groups.member(g, from)) throw new GroupError(403, `${from.phone} is not a member of ${g.jid}`)
    if (g.announce && !this.groups.isAdmin(g, from)) throw new GroupError(403, 'only admins may post in this group')
    const built = this.parts.content.build(from, g, input)
    const self = new ProtocolAddress(from.phone, 0)
    const ring = this.ring(from)
    const skdm = await ring.ownKey(g.jid, self)
    const skmsg = await ring.encrypt(g.jid, self, proto.Message.encode(built.message).finish())
    const keyMessage = proto.Message.encode({
      senderKeyDistributionMessage: { groupId: g.jid, axolotlSenderKeyDistributionMessage: skdm },
    }).finish()
    const timestamp = Date.now()
    const id = messageId()
    const t = Math.floor(timestamp / 1000)
    if (built.poll) for (const m of g.members.values()) m.account.polls.set(id, built.poll)
    const { kind } = built
    const detail = kind === 'text' ? {} : { [kind]: input[kind] }
    g.messages.push({ id, from: from.jid, kind, text: input.text ?? '', ...detail, timestamp, decryptedBy: [] })
    for (const m of g.members.values()) {
      for (const device of m.account.devices.values()) {
        const withKey = new Set<string>()
        this.delivery.enqueue(device, {
          kind: 'build',
          id,
          from,
          build: async (d) => {
            const key = `${g.jid}|${from.phone}|${d.jid}`
            const content: BinaryNode[] = []
            if (!this.distributed.has(key) || withKey.has(d.jid)) {
              this.distributed.add(key)
              withKey.add(d.jid)
              const { type, ciphertext } = await this.delivery.seal(from, d, keyMessage)
              content.push({ tag: 'enc', attrs: { v: '2', type }, content: ciphertext })
            }
            content.push({ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: skmsg })
            const attrs = this.senderAttrs(g, from, undefined, id, t, built.stanza.type)
            return { tag: 'message', attrs, content }
          },
        })
      }
    }
    return { id, timestamp }
  }
}
