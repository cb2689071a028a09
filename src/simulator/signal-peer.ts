// A simulated primary phone's Signal identity (device 0 of an account) with an in-memory libsignal store. It
// encrypts to the bundles linked devices uploaded and decrypts what they send it. Session records stay as live
// objects in a Map, so per-message work is the ratchet step itself: nothing is serialised or re-derived.
import { randomBytes, randomInt } from 'node:crypto'
import { ProtocolAddress, SessionBuilder, SessionCipher, SessionRecord, type SignalStorage } from 'libsignal'
import * as curve from 'libsignal/src/curve.js'
import { prefixed, sign } from './pki.ts'

export interface SignalKeyPair {
  /** 33 bytes with the 0x05 prefix (libsignal form). */
  pubKey: Buffer
  privKey: Buffer
}

/** A device's public pre-key bundle, as uploaded with `iq encrypt set` (keys without the 0x05 prefix). */
export interface Bundle {
  registrationId: number
  identity: Buffer
  signedPreKey: { id: number; pub: Buffer; signature: Buffer }
  preKey?: { id: number; pub: Buffer }
}

interface OpenSessionView {
  pendingPreKey?: unknown
}
interface RecordView {
  getOpenSession(): OpenSessionView | undefined
}

function keyPair(): SignalKeyPair {
  const { pubKey, privKey } = curve.generateKeyPair()
  return { pubKey: Buffer.from(pubKey), privKey: Buffer.from(privKey) }
}

export function pad(data: Uint8Array): Buffer {
  const n = randomInt(1, 17)
  const out = Buffer.alloc(data.length + n, n)
  out.set(data, 0)
  return out
}

export function unpad(data: Uint8Array): Buffer {
  const n = data[data.length - 1] ?? 0
  if (n < 1 || n > data.length) throw new Error('bad padding')
  return Buffer.from(data.subarray(0, data.length - n))
}

export class SignalPeer {
  readonly identity: SignalKeyPair = keyPair()
  readonly registrationId = randomInt(1, 16380)
  readonly signedPreKey: { keyId: number; keyPair: SignalKeyPair; signature: Buffer }
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly storage: SignalStorage

  constructor() {
    const kp = keyPair()
    this.signedPreKey = { keyId: 1, keyPair: kp, signature: sign(this.identity.privKey, kp.pubKey) }
    const sessions = this.sessions
    const identity = this.identity
    const spk = this.signedPreKey
    const regId = this.registrationId
    this.storage = {
      loadSession: async (id) => sessions.get(id),
      storeSession: async (id, record) => {
        sessions.set(id, record)
      },
      // Trust on first use, as Baileys does; identities are not the thing under test here.
      isTrustedIdentity: () => true,
      loadPreKey: async () => undefined,
      removePreKey: () => {},
      loadSignedPreKey: () => spk.keyPair,
      getOurRegistrationId: () => regId,
      getOurIdentity: () => identity,
    }
  }

  /** The 32-byte identity key, as it appears on the wire. */
  get identityPub(): Buffer {
    return this.identity.pubKey.subarray(1)
  }

  bundle(): Bundle {
    return {
      registrationId: this.registrationId,
      identity: this.identityPub,
      signedPreKey: {
        id: this.signedPreKey.keyId,
        pub: this.signedPreKey.keyPair.pubKey.subarray(1),
        signature: this.signedPreKey.signature,
      },
    }
  }

  hasSession(addr: ProtocolAddress): boolean {
    const rec = this.sessions.get(addr.toString()) as unknown as RecordView | undefined
    return !!rec?.getOpenSession()
  }

  forget(addr: ProtocolAddress): void {
    this.sessions.delete(addr.toString())
  }

  async startSession(addr: ProtocolAddress, b: Bundle): Promise<void> {
    await new SessionBuilder(this.storage, addr).initOutgoing({
      registrationId: b.registrationId,
      identityKey: prefixed(b.identity),
      signedPreKey: {
        keyId: b.signedPreKey.id,
        publicKey: prefixed(b.signedPreKey.pub),
        signature: b.signedPreKey.signature,
      },
      // libsignal accepts a bundle without a one-time pre-key; its .d.ts marks the field required.
      preKey: (b.preKey ? { keyId: b.preKey.id, publicKey: prefixed(b.preKey.pub) } : undefined) as {
        keyId: number
        publicKey: Uint8Array
      },
    })
  }

  /**
   * After the device acknowledged our first pkmsg it holds the session, so later messages can be plain `msg`
   * (WhatsApp clients do the same once the peer has answered).
   */
  confirmSession(addr: ProtocolAddress): void {
    const rec = this.sessions.get(addr.toString()) as unknown as RecordView | undefined
    const open = rec?.getOpenSession()
    if (open?.pendingPreKey) delete open.pendingPreKey
  }

  async encrypt(addr: ProtocolAddress, plaintext: Uint8Array): Promise<{ type: 'pkmsg' | 'msg'; ciphertext: Buffer }> {
    const { type, body } = await new SessionCipher(this.storage, addr).encrypt(pad(plaintext))
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') }
  }

  async decrypt(addr: ProtocolAddress, type: string, ciphertext: Uint8Array): Promise<Buffer> {
    const cipher = new SessionCipher(this.storage, addr)
    const ct = Buffer.from(ciphertext)
    const plain =
      type === 'pkmsg' ? await cipher.decryptPreKeyWhisperMessage(ct) : await cipher.decryptWhisperMessage(ct)
    return unpad(plain)
  }
}

export { ProtocolAddress }

/** Random bytes that are not a valid Signal message, for the "undecryptable" control call. */
export function garbageCiphertext(): Buffer {
  return randomBytes(64)
}
