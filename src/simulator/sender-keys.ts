// Sender keys (Signal's group ciphers) for the simulated phones: each phone keeps the keys linked devices distributed
// to it (SKDM inside a pkmsg/msg) and decrypts their `skmsg`; and it owns one sender key per group it posts to.
// Baileys' own GroupCipher/GroupSessionBuilder are used (deep import: the package root does not re-export them), so
// the bytes are exactly what a WhatsApp client produces.
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from '@whiskeysockets/baileys/lib/Signal/Group/index.js'
import type { ProtocolAddress } from './signal-peer.ts'
import { pad, unpad } from './signal-peer.ts'

interface SenderKeyStore {
  loadSenderKey(name: SenderKeyName): Promise<SenderKeyRecord>
  storeSenderKey(name: SenderKeyName, record: SenderKeyRecord): Promise<void>
}

/** The sender half of a SenderKeyName: what libsignal's ProtocolAddress offers (id + deviceId). */
interface Sender {
  id: string
  deviceId: number
  toString(): string
}

function sender(id: string, deviceId: number): Sender {
  return { id, deviceId, toString: () => `${id}.${deviceId}` }
}

/** One phone's group key ring. Records stay live objects in a Map (nothing is serialised). */
export class SenderKeyRing {
  private readonly records = new Map<string, SenderKeyRecord>()
  /** The SKDM of each own key as first created (iteration 0): it lets a late device decrypt everything after it. */
  private readonly ownSkdm = new Map<string, Uint8Array>()
  private readonly store: SenderKeyStore

  constructor() {
    const records = this.records
    this.store = {
      loadSenderKey: async (name) => {
        const key = name.toString()
        let rec = records.get(key)
        if (!rec) {
          rec = new SenderKeyRecord()
          records.set(key, rec)
        }
        return rec
      },
      storeSenderKey: async (name, record) => {
        records.set(name.toString(), record)
      },
    }
  }

  private name(group: string, from: ProtocolAddress): SenderKeyName {
    return new SenderKeyName(group, sender(from.id, from.deviceId))
  }

  /** A linked device distributed its key for `group` (the axolotl bytes of a SenderKeyDistributionMessage). */
  async process(group: string, from: ProtocolAddress, skdm: Uint8Array): Promise<void> {
    const msg = new SenderKeyDistributionMessage(null, null, null, null, skdm)
    await new GroupSessionBuilder(this.store).process(this.name(group, from), msg)
  }

  has(group: string, from: ProtocolAddress): boolean {
    const rec = this.records.get(this.name(group, from).toString())
    return !!rec && !rec.isEmpty()
  }

  /** Decrypts an `skmsg` from a linked device and strips the random padding. */
  async decrypt(group: string, from: ProtocolAddress, skmsg: Uint8Array): Promise<Buffer> {
    return unpad(await new GroupCipher(this.store, this.name(group, from)).decrypt(skmsg))
  }

  /** This phone's own key for `group` (created on first use): the SKDM bytes to distribute. */
  async ownKey(group: string, self: ProtocolAddress): Promise<Uint8Array> {
    const name = this.name(group, self)
    const key = name.toString()
    let skdm = this.ownSkdm.get(key)
    if (!skdm) {
      skdm = (await new GroupSessionBuilder(this.store).create(name)).serialize()
      this.ownSkdm.set(key, skdm)
    }
    return skdm
  }

  /** Encrypts a padded message with this phone's own key for `group` (call ownKey first). */
  async encrypt(group: string, self: ProtocolAddress, plaintext: Uint8Array): Promise<Buffer> {
    return Buffer.from(await new GroupCipher(this.store, this.name(group, self)).encrypt(pad(plaintext)))
  }
}
