// Linking a new device: QR (pair-device refs → the phone scans → pair-success → pair-device-sign → 515) and the
// pairing-code variant (link_code_companion_reg stages), which ends in the same pair-success.
import { createHmac, randomBytes } from 'node:crypto'
import { getBinaryNodeChild, getBinaryNodeChildBuffer, proto, type BinaryNode } from '@whiskeysockets/baileys'
import { SimError } from './context.ts'
import { nowSeconds, sendStreamError, type Account, type Conn, type LinkedDevice, type Network } from './network.ts'
import { advSecretFromFinish, wrapWithCode } from './pairing-code.ts'
import { generateKeyPair, sign, verify, type CurveKeyPair } from './pki.ts'
import type { Bundle } from './signal-peer.ts'

const QR_FIRST_MS = 60_000
const QR_NEXT_MS = 20_000
const REF_COUNT = 6
const PAIR_TIMEOUT_MS = 20_000
/** How long `:linkWithCode` waits for the client's pairing-code IQ that may still be in flight. */
const CODE_IQ_GRACE_MS = 2_000
const REF_MEMORY_MS = 10 * 60_000

interface Awaiting {
  iqId: string
  account: Account
  device: LinkedDevice
  accountSigKey: Buffer
  resolve(d: LinkedDevice): void
  reject(e: Error): void
}

interface CodeRequest {
  phone: string
  wrappedCompanionEphemeral: Buffer
  ref: string
  primaryEphemeral?: CurveKeyPair
  code?: string
  onFinish?: (advSecret: Buffer | Error) => void
}

export interface Registration {
  conn: Conn
  noisePub: Buffer
  bundle: Bundle
  refs: string[]
  startedAt: number
  paired: boolean
  code?: CodeRequest
  awaiting?: Awaiting
}

function beUInt(buf: Uint8Array | undefined): number {
  if (!buf?.length) return 0
  return Buffer.from(buf).readUIntBE(0, buf.length)
}

export class Pairing {
  private readonly byRef = new Map<string, Registration>()
  private iqSeq = 0

  constructor(private readonly net: Network) {}

  /** A client connected with fresh creds: offer it QR refs. */
  start(conn: Conn, payload: proto.ClientPayload, noisePub: Buffer): Registration {
    const d = payload.devicePairingData!
    const bundle: Bundle = {
      registrationId: beUInt(d.eRegid ?? undefined),
      identity: Buffer.from(d.eIdent ?? []),
      signedPreKey: {
        id: beUInt(d.eSkeyId ?? undefined),
        pub: Buffer.from(d.eSkeyVal ?? []),
        signature: Buffer.from(d.eSkeySig ?? []),
      },
    }
    this.prune()
    const refs = Array.from({ length: REF_COUNT }, () => randomBytes(16).toString('base64url'))
    const reg: Registration = { conn, noisePub, bundle, refs, startedAt: Date.now(), paired: false }
    for (const ref of refs) this.byRef.set(ref, reg)
    conn.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: this.nextIqId(), xmlns: 'md' },
      content: [
        {
          tag: 'pair-device',
          attrs: {},
          content: refs.map((r) => ({ tag: 'ref', attrs: {}, content: Buffer.from(r) })),
        },
      ],
    })
    return reg
  }

  /** Used and expired refs stay known for a while so a late scan gets 410 rather than 404. */
  private prune(): void {
    const cutoff = Date.now() - REF_MEMORY_MS
    for (const [ref, reg] of this.byRef) if (reg.startedAt < cutoff) this.byRef.delete(ref)
  }

  onClosed(reg: Registration): void {
    reg.awaiting?.reject(new SimError('conflict', 'the client disconnected before pairing completed'))
    reg.awaiting = undefined
    reg.code?.onFinish?.(new SimError('conflict', 'the client disconnected before pairing completed'))
  }

  private nextIqId(): string {
    return `sim-${++this.iqSeq}`
  }

  /** POST /accounts/{phone}:scan */
  scan(account: Account, qr: string): Promise<LinkedDevice> {
    const parts = (qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr).split(',')
    const [ref, , , adv] = parts
    const reg = ref ? this.byRef.get(ref) : undefined
    if (!reg || !adv) throw new SimError('not_found', 'unknown QR code')
    const index = reg.refs.indexOf(ref!)
    const expiresAt = reg.startedAt + QR_FIRST_MS + index * QR_NEXT_MS
    if (reg.paired || reg.conn.closed || Date.now() > expiresAt) throw new SimError('gone', 'this QR code has expired')
    return this.complete(reg, account, Buffer.from(adv, 'base64'))
  }

  /** Sends pair-success and resolves when the client's pair-device-sign checks out. */
  private complete(reg: Registration, account: Account, advSecret: Buffer): Promise<LinkedDevice> {
    reg.paired = true
    const device = this.net.addDevice(account, reg.noisePub, reg.bundle)
    const details = proto.ADVDeviceIdentity.encode({
      rawId: randomBytes(4).readUInt32BE(0),
      timestamp: nowSeconds(),
      keyIndex: device.keyIndex,
    }).finish()
    const accountSigKey = account.peer.identityPub
    const accountSignature = sign(
      account.peer.identity.privKey,
      Buffer.concat([Buffer.from([6, 0]), details, reg.bundle.identity]),
    )
    const signed = proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: accountSigKey,
      accountSignature,
    }).finish()
    const hmac = createHmac('sha256', advSecret).update(signed).digest()
    const envelope = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish()
    const iqId = this.nextIqId()
    return new Promise<LinkedDevice>((resolve, reject) => {
      const timer = setTimeout(() => {
        reg.awaiting = undefined
        reject(new SimError('timeout', 'the client did not confirm pairing'))
      }, PAIR_TIMEOUT_MS)
      reg.awaiting = {
        iqId,
        account,
        device,
        accountSigKey,
        resolve: (d) => {
          clearTimeout(timer)
          resolve(d)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      reg.conn.send({
        tag: 'iq',
        attrs: { from: 's.whatsapp.net', type: 'set', id: iqId, t: String(nowSeconds()) },
        content: [
          {
            tag: 'pair-success',
            attrs: {},
            content: [
              { tag: 'device-identity', attrs: {}, content: envelope },
              { tag: 'platform', attrs: { name: 'smba' } },
              { tag: 'device', attrs: { jid: device.jid, lid: device.lidJid } },
            ],
          },
        ],
      })
    })
  }

  /** An `iq type=result|error` from a client still registering: the answer to pair-device or pair-success. */
  onIqResult(reg: Registration | undefined, node: BinaryNode): void {
    const a = reg?.awaiting
    if (!reg || !a || node.attrs.id !== a.iqId) return
    reg.awaiting = undefined
    const identityNode = getBinaryNodeChild(getBinaryNodeChild(node, 'pair-device-sign'), 'device-identity')
    if (!(identityNode?.content instanceof Uint8Array)) {
      a.reject(new SimError('conflict', 'the client rejected pairing'))
      sendStreamError(reg.conn, { code: '401' })
      return
    }
    const signed = proto.ADVSignedDeviceIdentity.decode(identityNode.content)
    const message = Buffer.concat([
      Buffer.from([6, 1]),
      signed.details ?? Buffer.alloc(0),
      reg.bundle.identity,
      a.accountSigKey,
    ])
    if (!signed.deviceSignature || !verify(reg.bundle.identity, message, signed.deviceSignature)) {
      a.reject(new SimError('conflict', 'the client sent an invalid device signature'))
      sendStreamError(reg.conn, { code: '401' })
      return
    }
    a.account.devices.set(a.device.id, a.device)
    this.net.log.info({ device: a.device.jid }, 'simulator: device paired')
    // WhatsApp asks the freshly paired client to reconnect and log in.
    sendStreamError(reg.conn, { code: '515' })
    a.resolve(a.device)
  }

  /** `link_code_companion_reg` IQs: companion_hello (request a code) and companion_finish (key bundle). */
  async onLinkCodeIq(reg: Registration | undefined, iq: BinaryNode): Promise<BinaryNode[]> {
    const node = getBinaryNodeChild(iq, 'link_code_companion_reg')!
    if (!reg) throw new SimError('conflict', 'not registering')
    if (node.attrs.stage === 'companion_hello') {
      const wrapped = getBinaryNodeChildBuffer(node, 'link_code_pairing_wrapped_companion_ephemeral_pub')
      const phone = (node.attrs.jid ?? '').split('@')[0]!.split(':')[0]!
      reg.code = {
        phone,
        wrappedCompanionEphemeral: Buffer.from(wrapped ?? []),
        ref: randomBytes(16).toString('base64url'),
      }
      return [
        {
          tag: 'link_code_companion_reg',
          attrs: {},
          content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(reg.code.ref) }],
        },
      ]
    }
    if (node.attrs.stage === 'companion_finish') {
      const req = reg.code
      if (!req?.primaryEphemeral || !req.onFinish) throw new SimError('conflict', 'no pairing code in progress')
      const wrappedBundle = Buffer.from(getBinaryNodeChildBuffer(node, 'link_code_pairing_wrapped_key_bundle') ?? [])
      const companionIdentity = Buffer.from(getBinaryNodeChildBuffer(node, 'companion_identity_public') ?? [])
      const account = this.net.accounts.get(req.phone)
      try {
        if (!account) throw new Error('unknown account')
        const secret = await advSecretFromFinish({
          code: req.code!,
          wrappedCompanionEphemeral: req.wrappedCompanionEphemeral,
          primaryEphemeral: req.primaryEphemeral,
          primaryIdentityPriv: account.peer.identity.privKey,
          companionIdentity,
          wrappedBundle,
        })
        req.onFinish(secret)
      } catch {
        req.onFinish(new SimError('conflict', 'wrong pairing code'))
      }
      return []
    }
    return []
  }

  /** POST /accounts/{phone}:linkWithCode — the phone enters the code the client displayed. */
  async linkWithCode(account: Account, code: string): Promise<LinkedDevice> {
    const waiting = () =>
      [...new Set(this.byRef.values())].find(
        (r) => !r.paired && !r.conn.closed && r.code?.phone === account.phone && !r.code.onFinish,
      )
    // Baileys' requestPairingCode resolves once its IQ is written, not answered: a caller that enters the code at
    // once can be ahead of that IQ, still queued on the connection. A phone's user takes seconds; wait that long.
    let reg = waiting()
    for (const until = Date.now() + CODE_IQ_GRACE_MS; !reg && Date.now() < until; reg = waiting()) await Bun.sleep(20)
    if (!reg?.code) throw new SimError('not_found', 'no client is waiting for a pairing code for this phone')
    const req = reg.code
    req.code = code.replace(/-/g, '').toUpperCase()
    req.primaryEphemeral = generateKeyPair()
    const wrapped = await wrapWithCode(req.code, req.primaryEphemeral.pub)
    const advSecret = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SimError('timeout', 'the client did not finish code pairing')),
        PAIR_TIMEOUT_MS,
      )
      req.onFinish = (r) => {
        clearTimeout(timer)
        if (r instanceof Error) reject(r)
        else resolve(r)
      }
    })
    reg.conn.send({
      tag: 'notification',
      attrs: { from: 's.whatsapp.net', id: this.nextIqId(), type: 'link_code_companion_reg', t: String(nowSeconds()) },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(req.ref) },
            { tag: 'primary_identity_pub', attrs: {}, content: account.peer.identityPub },
            { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrapped },
          ],
        },
      ],
    })
    const secret = await advSecret
    return this.complete(reg, account, secret)
  }
}
