// Message flow from the simulated phones to the linked devices: the per-device outbox (WhatsApp's offline queue: an
// item stays until the device receipts or acks it, and is sent again, marked offline, on reconnect; a NACK leaves it
// there), Signal encryption at delivery time, retries and receipts. What clients send is client-messages.ts.
import {
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildren,
  proto,
  type BinaryNode,
} from '@whiskeysockets/baileys'
import type { ContentBuilder, ContentInput } from './content.ts'
import { historySyncMessage } from './history.ts'
import type { MediaRetries } from './media/retry.ts'
import {
  messageId,
  nowSeconds,
  type Account,
  type Conn,
  type LinkedDevice,
  type Network,
  type OutItem,
  type SentMessage,
} from './network.ts'
import { garbageCiphertext } from './signal-peer.ts'

const MAX_RETRIES = 3

function beUInt(buf: Uint8Array | undefined): number {
  return buf?.length ? Buffer.from(buf).readUIntBE(0, buf.length) : 0
}

/** The body of POST /accounts/{phone}/messages, validated. */
export type SendInput = ContentInput & { count?: number; undecryptable?: boolean }
export type MediaSummary = { sha256: string; size: number }

export interface DeliveryParts {
  content: ContentBuilder
  retries: MediaRetries
}

export class Delivery {
  /** Set by the app-state module: the phone's first messages to a newly linked device (the app-state key share). */
  firstLoginMessages?: (account: Account) => Uint8Array[]

  constructor(
    private readonly net: Network,
    private readonly parts: DeliveryParts,
  ) {}

  /** Adds an item to a device's outbox and sends it now if the device is online. */
  enqueue(device: LinkedDevice, item: OutItem): void {
    device.outbox.set(item.id, item)
    if (item.sent) item.sent.devices.set(device.jid, 'queued')
    const conn = device.conn
    if (conn?.ready && !conn.closed) this.schedule(device, () => this.sendItem(device, conn, item, false))
  }

  private schedule(device: LinkedDevice, work: () => Promise<void>): void {
    device.chain = device.chain.then(work).catch((err: unknown) => {
      this.net.log.warn({ err, device: device.jid }, 'simulator delivery failed')
    })
  }

  /**
   * Called once a device has logged in and its key bundle is settled: first login gets the history sync, then the
   * queued items go out marked offline, then `<ib><offline count>` ends the backlog.
   */
  onReady(device: LinkedDevice, conn: Conn): void {
    this.schedule(device, async () => {
      let count = 0
      if (device.needsHistory) {
        device.needsHistory = false
        const own = device.account
        for (const message of this.firstLoginMessages?.(own) ?? []) {
          const share: OutItem = {
            kind: 'signal',
            id: messageId(),
            from: own,
            message,
            t: nowSeconds(),
            category: 'peer',
          }
          device.outbox.set(share.id, share)
          await this.sendItem(device, conn, share, false)
          count++
        }
        const item: OutItem = {
          kind: 'signal',
          id: messageId(),
          from: own,
          message: historySyncMessage(own),
          t: nowSeconds(),
          category: 'peer',
        }
        device.outbox.set(item.id, item)
        await this.sendItem(device, conn, item, false)
        count++
      }
      for (const item of [...device.outbox.values()]) {
        if (item.sentOnConn === conn.id) continue
        await this.sendItem(device, conn, item, true)
        count++
      }
      if (!conn.closed)
        conn.send({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(count) } }] })
    })
  }

  private async sendItem(device: LinkedDevice, conn: Conn, item: OutItem, offline: boolean): Promise<void> {
    if (conn.closed || device.conn !== conn || item.sentOnConn === conn.id || !device.outbox.has(item.id)) return
    let node: BinaryNode
    if (item.kind === 'raw') {
      node = offline ? { ...item.node, attrs: { ...item.node.attrs, offline: '1' } } : item.node
    } else if (item.kind === 'build') {
      const built = await item.build(device)
      node = offline ? { ...built, attrs: { ...built.attrs, offline: '1' } } : built
    } else {
      let type: string
      let ciphertext: Buffer
      if (item.undecryptable) {
        type = 'msg'
        ciphertext = garbageCiphertext()
      } else {
        ;({ type, ciphertext } = await this.seal(item.from, device, item.message))
      }
      const from = item.from
      const stanzaType = item.stanza?.type ?? 'text'
      const r = item.recipient
      const attrs: Record<string, string> = r
        ? {
            id: item.id,
            from: from.jid,
            recipient: r.jid,
            peer_recipient_lid: r.lid,
            t: String(item.t),
            type: stanzaType,
          }
        : from.sendsAsLid
          ? {
              id: item.id,
              from: from.lid,
              ...(from.hidesPn ? {} : { sender_pn: from.jid }),
              t: String(item.t),
              type: stanzaType,
            }
          : { id: item.id, from: from.jid, sender_lid: from.lid, t: String(item.t), type: stanzaType }
      if (item.stanza?.edit) attrs.edit = item.stanza.edit
      if (from !== device.account && !r) attrs.notify = from.name
      if (item.category) attrs.category = item.category
      if (offline) attrs.offline = '1'
      const encAttrs: Record<string, string> = { v: '2', type }
      if (item.stanza?.mediatype) encAttrs.mediatype = item.stanza.mediatype
      node = { tag: 'message', attrs, content: [{ tag: 'enc', attrs: encAttrs, content: ciphertext }] }
    }
    if (conn.closed || device.conn !== conn) return
    conn.send(node)
    item.sentOnConn = conn.id
    const state = item.sent?.devices.get(device.jid)
    if (state === 'queued' || state === 'nacked') item.sent!.devices.set(device.jid, 'delivered')
    // Undecryptable messages are fire-and-forget: the client answers with a retry receipt, never a delivery one.
    if (item.kind === 'signal' && item.undecryptable) device.outbox.delete(item.id)
  }

  /** Encrypts `message` from `from`'s phone to a linked device, starting a Signal session from its bundle if needed. */
  async seal(from: Account, device: LinkedDevice, message: Uint8Array): Promise<{ type: string; ciphertext: Buffer }> {
    const peer = from.peer
    if (!peer.hasSession(device.addr)) {
      const preKey = device.preKeys.shift()
      await peer.startSession(device.addr, { ...device.bundle, preKey })
    }
    return peer.encrypt(device.addr, message)
  }

  /**
   * The account's phone sends to every linked device of `to`: `count` messages (default 1) built from `input`, each
   * with its own id (and, for media, its own media key). `undecryptable` sends garbage ciphertext instead.
   */
  send(from: Account, to: Account, input: SendInput): Array<{ id: string; timestamp: number; media?: MediaSummary }> {
    const out: Array<{ id: string; timestamp: number; media?: MediaSummary }> = []
    for (let i = 0; i < (input.count ?? 1); i++) {
      const built = input.undecryptable
        ? { kind: 'text' as const, message: { conversation: input.text ?? '' }, stanza: { type: 'text' } }
        : this.parts.content.build(from, to, input)
      const timestamp = Date.now()
      const id = messageId()
      const text = built.kind === 'text' ? (input.text ?? '') : ''
      const sent: SentMessage = { id, to: to.jid, kind: built.kind, text, timestamp, devices: new Map() }
      from.sent.add(id, sent)
      if ('poll' in built && built.poll) from.polls.set(id, built.poll)
      const media = 'media' in built ? built.media : undefined
      if (media) {
        const { mediaKey, directPath, retry } = media
        this.parts.retries.sent.set(id, { mediaKey, directPath, outcome: retry, retries: 0 })
      }
      const body = proto.Message.encode(built.message).finish()
      for (const device of to.devices.values()) {
        this.enqueue(device, {
          kind: 'signal',
          id,
          from,
          message: body,
          t: Math.floor(timestamp / 1000),
          undecryptable: input.undecryptable,
          stanza: built.stanza,
          sent,
        })
      }
      // Like WhatsApp, the sender's own linked devices get the message too, wrapped as a DeviceSentMessage and
      // addressed to the recipient: what a message typed on the phone looks like to the gateway.
      if (from.devices.size) {
        const copy = proto.Message.encode({
          deviceSentMessage: { destinationJid: to.jid, message: built.message },
        }).finish()
        for (const device of from.devices.values()) {
          this.enqueue(device, {
            kind: 'signal',
            id,
            from,
            recipient: to,
            message: copy,
            t: Math.floor(timestamp / 1000),
            undecryptable: input.undecryptable,
            stanza: built.stanza,
          })
        }
      }
      out.push({ id, timestamp, ...(media ? { media: { sha256: media.sha256, size: media.size } } : {}) })
    }
    return out
  }

  /** A receipt (or message ack) from a device for stanzas we delivered: they leave its outbox. */
  onClientReceipt(conn: Conn, node: BinaryNode): void {
    const device = conn.device
    if (!device) return
    // A media re-upload request is about a message's media, not its delivery.
    if (node.tag === 'receipt' && node.attrs.type === 'server-error') {
      this.parts.retries.handle(conn, node)
      return
    }
    const ids = [
      node.attrs.id,
      ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').map((i) => i.attrs.id),
    ]
    for (const id of ids) {
      if (!id) continue
      const item = device.outbox.get(id)
      if (!item) continue
      if (node.tag === 'receipt' && node.attrs.type === 'retry' && item.kind === 'signal') {
        this.retry(device, conn, item, node)
        continue
      }
      // A NACK (Baileys: the message could not be handled, e.g. the gateway could not store it): WhatsApp keeps the
      // message queued and delivers it again on the device's next connection (sentOnConn keeps it off this one).
      if (node.tag === 'ack' && node.attrs.error) {
        if (item.sent) item.sent.devices.set(device.jid, 'nacked')
        continue
      }
      device.outbox.delete(id)
      if (item.sent) item.sent.devices.set(device.jid, 'receipted')
      if (item.kind === 'signal' || (item.kind === 'build' && item.from)) item.from!.peer.confirmSession(device.addr)
    }
  }

  /**
   * The device could not decrypt: like a phone, start a fresh session from the keys the retry receipt carries (or the
   * uploaded bundle) and send the message again, a few times at most.
   */
  private retry(device: LinkedDevice, conn: Conn, item: Extract<OutItem, { kind: 'signal' }>, node: BinaryNode): void {
    item.retries = (item.retries ?? 0) + 1
    if (item.retries > MAX_RETRIES) {
      device.outbox.delete(item.id)
      return
    }
    const keys = getBinaryNodeChild(node, 'keys')
    const identity = getBinaryNodeChildBuffer(keys, 'identity')
    const skey = getBinaryNodeChild(keys, 'skey')
    const skeyValue = getBinaryNodeChildBuffer(skey, 'value')
    const skeySig = getBinaryNodeChildBuffer(skey, 'signature')
    if (identity && skeyValue && skeySig) {
      device.bundle = {
        ...device.bundle,
        identity: Buffer.from(identity),
        signedPreKey: {
          id: beUInt(getBinaryNodeChildBuffer(skey, 'id')),
          pub: Buffer.from(skeyValue),
          signature: Buffer.from(skeySig),
        },
      }
      const key = getBinaryNodeChild(keys, 'key')
      const keyValue = getBinaryNodeChildBuffer(key, 'value')
      if (keyValue)
        device.preKeys.unshift({ id: beUInt(getBinaryNodeChildBuffer(key, 'id')), pub: Buffer.from(keyValue) })
    }
    item.from.peer.forget(device.addr)
    item.sentOnConn = undefined
    this.schedule(device, () => this.sendItem(device, conn, item, false))
  }

  /** A message a linked device sends: decrypt the copies for phones, relay the copies for other linked devices. */
}
