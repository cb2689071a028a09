// What a linked client sends: to a contact (its phone decrypts it and receipts it; the sender's and the recipient's
// other linked devices get their copies through their outboxes), to a group or to a channel (routed to the modules
// that keep them).
import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidNormalizedUser,
  proto,
  type BinaryNode,
} from '@whiskeysockets/baileys'
import type { Delivery } from './delivery.ts'
import { inboxKey, messageId, nowSeconds, type Account, type Conn, type LinkedDevice, type Network } from './network.ts'
import type { Receiver } from './received.ts'

const DELIVERY_RECEIPT_MS = 50
const READ_RECEIPT_MS = 120
const REVOKE = proto.Message.ProtocolMessage.Type.REVOKE
const EDIT = proto.Message.ProtocolMessage.Type.MESSAGE_EDIT
const messageText = (m: proto.IMessage) => m.conversation ?? m.extendedTextMessage?.text ?? ''

/** Where a client's message to a group or a channel goes. */
export interface ClientRoutes {
  /** A message to a @g.us JID. */
  group(conn: Conn, node: BinaryNode): Promise<void>
  /** A channel owner's post: its server id, or undefined if refused. */
  channel(author: Account, channelJid: string, text: string): number | undefined
}

export class ClientMessages {
  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
    private readonly receiver: Receiver,
    private readonly routes: ClientRoutes,
  ) {}

  async onClientMessage(conn: Conn, node: BinaryNode): Promise<void> {
    const device = conn.device
    if (!device) return
    const id = node.attrs.id ?? messageId()
    const to = node.attrs.to ?? ''
    const t = nowSeconds()
    if (to.endsWith('@g.us')) return this.routes.group(conn, node)
    if (to.endsWith('@newsletter')) {
      // An admin posting from the client: plaintext, delivered to the followers like a control-API post.
      const plain = getBinaryNodeChild(node, 'plaintext')
      const text = plain?.content instanceof Uint8Array ? messageText(proto.Message.decode(plain.content)) : ''
      const serverId = this.routes.channel(device.account, to, text)
      const attrs: Record<string, string> = { id, class: 'message', from: to, t: String(t) }
      if (serverId !== undefined) attrs.server_id = String(serverId)
      else attrs.error = '403'
      conn.send({ tag: 'ack', attrs })
      return
    }
    const copies: Array<{ jid: string; enc: BinaryNode }> = []
    const direct = getBinaryNodeChild(node, 'enc')
    if (direct) copies.push({ jid: to, enc: direct })
    for (const p of getBinaryNodeChildren(getBinaryNodeChild(node, 'participants'), 'to')) {
      const enc = getBinaryNodeChild(p, 'enc')
      if (enc && p.attrs.jid) copies.push({ jid: p.attrs.jid, enc })
    }
    const recipient = this.net.resolve(to)
    for (const { jid, enc } of copies) {
      const target = this.net.resolve(jid)
      if (!target) continue
      if (target.device === 0) {
        await this.decryptForPhone(device, target.account, id, enc, node, t)
      } else {
        const other = target.account.devices.get(target.device)
        if (!other || other === device) continue
        const attrs: Record<string, string> = {
          id,
          from: device.jid,
          sender_lid: device.lidJid,
          t: String(t),
          type: node.attrs.type ?? 'text',
          notify: device.account.name,
        }
        // A copy for the sender's own other devices names the chat it belongs to.
        if (other.account === device.account && recipient) attrs.recipient = recipient.account.jid
        this.delivery.enqueue(other, { kind: 'raw', id, node: { tag: 'message', attrs, content: [enc] } })
      }
    }
    conn.send({ tag: 'ack', attrs: { id, class: 'message', from: jidNormalizedUser(to), t: String(t) } })
    if (recipient && recipient.account !== device.account && node.attrs.category !== 'peer') {
      this.phoneReceipts(conn, recipient.account, jidNormalizedUser(to), id)
    }
  }

  private async decryptForPhone(
    device: LinkedDevice,
    phone: Account,
    id: string,
    enc: BinaryNode,
    node: BinaryNode,
    t: number,
  ): Promise<void> {
    if (!(enc.content instanceof Uint8Array)) return
    let msg: proto.Message
    try {
      msg = proto.Message.decode(await phone.peer.decrypt(device.addr, enc.attrs.type ?? 'msg', enc.content))
    } catch (err) {
      this.net.log.warn({ err, id, from: device.jid, to: phone.jid }, 'simulated phone could not decrypt')
      return
    }
    // The sender's own phone gets a DeviceSentMessage copy; it is not something that phone "received". Of the
    // protocol messages only revokes and edits are something a user sees.
    const p = msg.protocolMessage
    const visible = !p || p.type === REVOKE || p.type === EDIT
    if (msg.deviceSentMessage || !visible || phone === device.account) return
    // A phone shows a message id once: a sender that sends again after a crash, with the same id, is deduplicated.
    const from = device.account.jid
    const key = inboxKey(from, id)
    if (phone.inbox.has(key)) return
    phone.inbox.add(key, {
      id,
      from,
      timestamp: Number(node.attrs.t ?? t) * 1000 || Date.now(),
      ...this.receiver.describe(phone, device.account, id, msg),
    })
  }

  /** The recipient phone's delivery then read receipt, per its `receipts` setting. */
  private phoneReceipts(conn: Conn, recipient: Account, from: string, id: string): void {
    if (recipient.receipts === 'none') return
    const send = (type?: string) => {
      if (conn.closed) return
      const attrs: Record<string, string> = { id, from, t: String(nowSeconds()) }
      if (type) attrs.type = type
      conn.send({ tag: 'receipt', attrs })
    }
    setTimeout(() => send(), DELIVERY_RECEIPT_MS)
    if (recipient.receipts === 'read') setTimeout(() => send('read'), READ_RECEIPT_MS)
  }
}
