// The simulated WhatsApp network: accounts (a primary phone with its Signal identity) and their linked devices (the
// clients that connect over WebSocket), plus the per-device outbox that models WhatsApp's offline queue.
import { randomBytes, randomInt } from 'node:crypto'
import { jidDecode, type BinaryNode } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { ProtocolAddress, SignalPeer, type Bundle } from './signal-peer.ts'
import type { HistoryInput } from './history.ts'
import { DEFAULT_KEEP_MESSAGES, MessageLog } from './message-log.ts'
import type { PollRecord } from './poll.ts'

export type ReceiptMode = 'none' | 'delivered' | 'read'
/**
 * Where a message to a linked device is: waiting for the device, sent to it, answered with a receipt or ack (it left
 * the outbox), or NACKed (an ack with `error`: the device could not take it; it stays queued and goes out again,
 * marked offline, when the device next connects, as WhatsApp's offline queue does).
 */
export type DeliveryState = 'queued' | 'delivered' | 'receipted' | 'nacked'

/** One WebSocket as the network sees it. */
export interface Conn {
  readonly id: number
  device?: LinkedDevice
  /** Logged in and past the key-bundle checks: stanzas may flow. */
  ready: boolean
  /** `silence` fault: nothing is sent or answered any more. */
  silent: boolean
  closed: boolean
  send(node: BinaryNode): void
  /** `hard` drops the TCP connection instead of a clean close. */
  close(hard?: boolean): void
}

/** Something waiting in a device's outbox until the device acknowledges it. */
export type OutItem =
  | {
      kind: 'signal'
      id: string
      from: Account
      /** Encoded proto.Message, encrypted at delivery time. */
      message: Uint8Array
      t: number
      category?: string
      undecryptable?: boolean
      /** `<message type>` (default text), `mediatype` on its `<enc>`, `edit` (1 edit, 7 revoke). */
      stanza?: { type: string; mediatype?: string; edit?: string }
      /** The phone's own copy for its linked devices (a DeviceSentMessage): whom it was sent to. */
      recipient?: Account
      sent?: SentMessage
      sentOnConn?: number
      retries?: number
    }
  | { kind: 'raw'; id: string; node: BinaryNode; sent?: SentMessage; sentOnConn?: number }
  | {
      kind: 'build'
      id: string
      /** The phone whose Signal session the built stanza uses (confirmed when the device receipts it). */
      from?: Account
      /** Builds the stanza at (each) delivery time, e.g. a group message with a per-device sender-key copy. */
      build(device: LinkedDevice): Promise<BinaryNode>
      sent?: SentMessage
      sentOnConn?: number
    }

export interface LinkedDevice {
  account: Account
  id: number
  keyIndex: number
  jid: string
  lidJid: string
  /** The client's Noise static key: what login is checked against. */
  noisePub: Buffer
  bundle: Bundle
  /** One-time pre-keys uploaded and not yet handed out. */
  preKeys: Array<{ id: number; pub: Buffer }>
  addr: ProtocolAddress
  conn?: Conn
  needsHistory: boolean
  failNextLogin: boolean
  /** Successful logins of this device (each connection after pairing). */
  logins: number
  /** Logins that replaced a connection still open (the older one got <conflict type=replaced>). */
  replaced: number
  outbox: Map<string, OutItem>
  /** Serialises encryption and sending, so a device sees messages in the order they were sent. */
  chain: Promise<void>
}

/** What a phone made of a message it received (`received.ts`): kind, text or the kind's details, context. */
export interface InboxContent {
  /** text, image, video, audio, document, sticker, location, contacts, poll, pollVote, reaction, edit, revoke, other */
  kind: string
  /** The text of a text message; null for other kinds. */
  text: string | null
  quotedId: string | null
  forwarded: boolean
  mentions: string[]
  [detail: string]: unknown
}

/** A message a phone received, decrypted (GET /accounts/{phone}/messages). */
export type InboxMessage = { id: string; from: string; timestamp: number } & InboxContent

/** An inbox entry's key: a phone shows a message id once per sender. */
export const inboxKey = (from: string, id: string) => `${from} ${id}`

export interface SentMessage {
  id: string
  to: string
  kind: string
  text: string
  timestamp: number
  devices: Map<string, DeliveryState>
}

export interface Account {
  phone: string
  jid: string
  lid: string
  lidUser: string
  name: string
  receipts: ReceiptMode
  peer: SignalPeer
  devices: Map<number, LinkedDevice>
  nextDeviceId: number
  nextKeyIndex: number
  /** What the phone received, keyed by `inboxKey(from, id)`; the newest `keepMessages`. */
  inbox: MessageLog<InboxMessage>
  /** What the phone sent, keyed by message id; the newest `keepMessages`. */
  sent: MessageLog<SentMessage>
  /** Polls this phone created or received, by message id. */
  polls: Map<string, PollRecord>
  history?: HistoryInput
  /** Messages to linked devices come from the account's LID (with `sender_pn`), as WhatsApp does for some contacts. */
  sendsAsLid?: boolean
  /** With `sendsAsLid`: no `sender_pn` either, so the recipient learns the phone number only some other way. */
  hidesPn?: boolean
}

export interface Target {
  account: Account
  /** 0 = the primary phone. */
  device: number
}

export function messageId(): string {
  return '3EB0' + randomBytes(8).toString('hex').toUpperCase()
}

export const nowSeconds = () => Math.floor(Date.now() / 1000)

export class Network {
  readonly accounts = new Map<string, Account>()
  private readonly byLid = new Map<string, Account>()
  /** Phones whose Signal keys exist (created lazily), so unlinking does not force keys into existence. */
  private readonly peers = new Set<SignalPeer>()
  private connSeq = 0

  /** `keepMessages`: how many sent and how many received messages each phone keeps (the oldest are forgotten). */
  constructor(
    readonly log: Logger,
    private readonly keepMessages = DEFAULT_KEEP_MESSAGES,
  ) {}

  nextConnId(): number {
    return ++this.connSeq
  }

  createAccount(input: { phone: string; name?: string; receipts?: ReceiptMode; history?: HistoryInput }): Account {
    let lidUser: string
    do lidUser = String(randomInt(10_000_000, 99_999_999)) + String(randomInt(1_000_000, 9_999_999))
    while (this.byLid.has(lidUser))
    // Key generation and signing dominate account creation; a phone that never messages never needs its keys.
    let peer: SignalPeer | undefined
    const peers = this.peers
    const account: Account = {
      phone: input.phone,
      jid: `${input.phone}@s.whatsapp.net`,
      lid: `${lidUser}@lid`,
      lidUser,
      name: input.name ?? `Simulated ${input.phone}`,
      receipts: input.receipts ?? 'read',
      get peer() {
        if (!peer) {
          peer = new SignalPeer()
          peers.add(peer)
        }
        return peer
      },
      devices: new Map(),
      nextDeviceId: 1,
      nextKeyIndex: 1,
      inbox: new MessageLog(this.keepMessages),
      sent: new MessageLog(this.keepMessages),
      polls: new Map(),
      history: input.history,
    }
    this.accounts.set(account.phone, account)
    this.byLid.set(lidUser, account)
    return account
  }

  /** Resolves a PN or LID JID (with or without device) to an account and device number. */
  resolve(jid: string | undefined): Target | undefined {
    if (!jid) return undefined
    const d = jidDecode(jid)
    if (!d?.user) return undefined
    const account = d.server === 'lid' ? this.byLid.get(d.user) : this.accounts.get(d.user)
    return account ? { account, device: d.device ?? 0 } : undefined
  }

  addDevice(account: Account, noisePub: Buffer, bundle: Bundle): LinkedDevice {
    const id = account.nextDeviceId++
    const device: LinkedDevice = {
      account,
      id,
      keyIndex: account.nextKeyIndex++,
      jid: `${account.phone}:${id}@s.whatsapp.net`,
      lidJid: `${account.lidUser}:${id}@lid`,
      noisePub,
      bundle,
      preKeys: [],
      addr: new ProtocolAddress(account.phone, id),
      needsHistory: true,
      failNextLogin: false,
      logins: 0,
      replaced: 0,
      outbox: new Map(),
      chain: Promise.resolve(),
    }
    return device
  }

  /** Removes a device: it must pair again; every phone forgets its sessions with it. */
  unlink(device: LinkedDevice): void {
    device.account.devices.delete(device.id)
    for (const p of this.peers) p.forget(device.addr)
  }

  deviceState(device: LinkedDevice): 'connected' | 'offline' {
    return device.conn && !device.conn.closed && device.conn.ready ? 'connected' : 'offline'
  }

  /** Applies a kick to every linked device of the account; returns how many devices it touched. */
  kick(account: Account, reason: KickReason): number {
    let n = 0
    for (const device of [...account.devices.values()]) {
      const conn = device.conn && !device.conn.closed ? device.conn : undefined
      if (reason === 'logged_out') {
        if (conn) sendStreamError(conn, { code: '401' }, [{ tag: 'conflict', attrs: { type: 'device_removed' } }])
        this.unlink(device)
        n++
        continue
      }
      if (reason === 'failure') {
        // Connected: fail now. Offline: its next login is refused once.
        if (conn) {
          conn.send({ tag: 'failure', attrs: { reason: '401' } })
          conn.close()
        } else device.failNextLogin = true
        n++
        continue
      }
      if (!conn) continue
      n++
      if (reason === 'restart') sendStreamError(conn, { code: '515' })
      else if (reason === 'conflict') sendStreamError(conn, {}, [{ tag: 'conflict', attrs: { type: 'replaced' } }])
      else if (reason === 'drop') conn.close(true)
      else if (reason === 'silence') conn.silent = true
    }
    return n
  }
}

export type KickReason = 'restart' | 'conflict' | 'logged_out' | 'failure' | 'drop' | 'silence'
export const KICK_REASONS: readonly KickReason[] = ['restart', 'conflict', 'logged_out', 'failure', 'drop', 'silence']

export function sendStreamError(conn: Conn, attrs: Record<string, string>, content?: BinaryNode[]): void {
  conn.send({ tag: 'stream:error', attrs, content })
  conn.close()
}
