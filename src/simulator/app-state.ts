// App-state sync (xmlns w:sync:app:state) as the server and the primary phone play it, per account:
// - the phone pushes its app-state key to each newly linked device unprompted (Baileys never asks for it), then
//   seeds critical_block with its push name (Baileys skips presence while creds.me.name is empty);
// - the server keeps each collection's patches with their versions and always answers with inline patches, never a
//   snapshot or an external blob (those would be downloaded from mmg.whatsapp.net);
// - a client's uploaded patch is checked (patch MAC, value/index MACs, LTHash snapshot MAC), stored as version N+1,
//   applied to the phone's view of its chats, and announced to the account's other devices with server_sync;
// - the phone's own changes become patches encoded with the shared key and announced with server_sync.
// Baileys' own encodeSyncdPatch/decodeSyncdPatch produce and read the bytes, so the MACs are the real ones.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto'
import {
  chatModificationToAppPatch,
  decodeSyncdPatch,
  encodeSyncdPatch,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  newLTHashState,
  proto,
  type BinaryNode,
  type ChatModification,
  type LTHashState,
  type WAPatchName,
} from '@whiskeysockets/baileys'
import { ChatViews } from './chat-views.ts'
import type { Delivery } from './delivery.ts'
import { messageId, nowSeconds, type Account, type Conn, type Network } from './network.ts'

export const COLLECTIONS = ['critical_block', 'critical_unblock_low', 'regular_high', 'regular_low', 'regular'] as const

interface Collection {
  state: LTHashState
  /** Encoded SyncdPatch bytes, each with its version set; index i holds version i + 1. */
  patches: Uint8Array[]
}

interface AccountState {
  keyId: Buffer
  key: proto.Message.IAppStateSyncKeyData
  collections: Map<string, Collection>
  /** Serialises encodes and uploads per account, so versions never interleave. */
  chain: Promise<unknown>
}

/** An IQ error: its status becomes the <error code>. */
class SyncError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function snapshotMac(hash: Uint8Array, version: number, name: string, keyData: Uint8Array): Buffer {
  const keys = Buffer.from(hkdfSync('sha256', keyData, Buffer.alloc(0), 'WhatsApp Mutation Keys', 160))
  const v = Buffer.alloc(8)
  v.writeUInt32BE(version, 4)
  return createHmac('sha256', keys.subarray(96, 128))
    .update(Buffer.concat([hash, v, Buffer.from(name)]))
    .digest()
}

export class AppState {
  private readonly accounts = new Map<string, AccountState>()
  readonly views: ChatViews

  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
  ) {
    this.views = new ChatViews(net)
    delivery.firstLoginMessages = (account) => [this.keyShare(account)]
  }

  private of(a: Account): AccountState {
    let s = this.accounts.get(a.phone)
    if (!s) {
      const keyId = randomBytes(6)
      const key: proto.Message.IAppStateSyncKeyData = {
        keyData: randomBytes(32),
        fingerprint: { rawId: 1, currentIndex: 0, deviceIndexes: [0] },
        timestamp: Date.now(),
      }
      s = { keyId, key, collections: new Map(), chain: Promise.resolve() }
      for (const name of COLLECTIONS) s.collections.set(name, { state: newLTHashState(), patches: [] })
      this.accounts.set(a.phone, s)
      // The phone's push name, as WhatsApp seeds it: Baileys takes creds.me.name from this mutation.
      s.chain = this.encode(a, s, { pushNameSetting: a.name }, '')
    }
    return s
  }

  private getKey(s: AccountState) {
    const id = s.keyId.toString('base64')
    return async (keyId: string) => (keyId === id ? (s.key as proto.Message.AppStateSyncKeyData) : undefined)
  }

  /** The APP_STATE_SYNC_KEY_SHARE protocol message the phone sends a newly linked device. */
  keyShare(a: Account): Uint8Array {
    const s = this.of(a)
    return proto.Message.encode({
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: { keys: [{ keyId: { keyId: s.keyId }, keyData: s.key }] },
      },
    }).finish()
  }

  /** Versions and LTHashes per collection (base64), to compare with what a client stored. */
  versions(a: Account): Record<string, { version: number; hash: string }> {
    const s = this.of(a)
    return Object.fromEntries(
      [...s.collections].map(([name, c]) => [
        name,
        { version: c.state.version, hash: Buffer.from(c.state.hash).toString('base64') },
      ]),
    )
  }

  /** The phone changes a chat: one patch with the shared key, then server_sync to every linked device. */
  async phoneModify(a: Account, mod: ChatModification, jid: string): Promise<void> {
    const s = this.of(a)
    const run = s.chain.then(() => this.encode(a, s, mod, jid))
    s.chain = run.catch(() => undefined)
    await run
  }

  private async encode(a: Account, s: AccountState, mod: ChatModification, jid: string): Promise<void> {
    const create = chatModificationToAppPatch(mod, jid)
    const c = s.collections.get(create.type)!
    const { patch, state } = await encodeSyncdPatch(create, s.keyId.toString('base64'), c.state, this.getKey(s))
    patch.version = { version: state.version }
    c.patches.push(proto.SyncdPatch.encode(patch).finish())
    c.state = state
    this.views.apply(a, [{ index: create.index, value: create.syncAction }])
    this.serverSync(a, create.type, state.version)
  }

  /** Tells the account's linked devices (but `except`) that a collection has a new version: they pull it. */
  private serverSync(a: Account, name: string, version: number, except?: Conn): void {
    for (const device of a.devices.values()) {
      if (except && device.conn === except) continue
      const id = messageId()
      const node: BinaryNode = {
        tag: 'notification',
        attrs: { from: 's.whatsapp.net', type: 'server_sync', id, t: String(nowSeconds()) },
        content: [{ tag: 'collection', attrs: { name, version: String(version) } }],
      }
      this.delivery.enqueue(device, { kind: 'raw', id, node })
    }
  }

  /** IQ w:sync:app:state: per collection, either an upload (a <patch> child) or a pull from `version`. */
  async iq(conn: Conn, node: BinaryNode): Promise<BinaryNode[]> {
    const a = conn.device?.account
    if (!a) throw new SyncError(401, 'not-authorized')
    const s = this.of(a)
    const out: BinaryNode[] = []
    const run = s.chain.then(async () => {
      for (const col of getBinaryNodeChildren(getBinaryNodeChild(node, 'sync'), 'collection')) {
        const name = col.attrs.name ?? ''
        const c = s.collections.get(name)
        if (!c) throw new SyncError(400, `unknown collection ${name}`)
        const since = Number(col.attrs.version ?? 0)
        const uploads = getBinaryNodeChildren(col, 'patch')
        if (uploads.length) {
          for (const p of uploads) await this.upload(a, s, c, name, since, p.content as Uint8Array, conn)
          out.push({ tag: 'collection', attrs: { name, version: String(c.state.version) } })
          continue
        }
        const patches = c.patches.slice(since).map((bytes) => ({ tag: 'patch', attrs: {}, content: bytes }))
        const attrs = { name, version: String(c.state.version) }
        out.push(
          patches.length
            ? { tag: 'collection', attrs, content: [{ tag: 'patches', attrs: {}, content: patches }] }
            : { tag: 'collection', attrs },
        )
      }
    })
    s.chain = run.catch(() => undefined)
    await run
    return [{ tag: 'sync', attrs: {}, content: out }]
  }

  private async upload(
    a: Account,
    s: AccountState,
    c: Collection,
    name: string,
    base: number,
    bytes: Uint8Array,
    conn: Conn,
  ) {
    if (base !== c.state.version) throw new SyncError(409, `conflict: collection ${name} is at ${c.state.version}`)
    const patch = proto.SyncdPatch.decode(bytes)
    patch.version = { version: base + 1 }
    const mutations: Array<{ index: string[]; value: proto.ISyncActionValue }> = []
    let result: { hash: Buffer; indexValueMap: LTHashState['indexValueMap'] }
    try {
      result = await decodeSyncdPatch(
        patch,
        name as WAPatchName,
        c.state,
        this.getKey(s),
        (m) => mutations.push({ index: m.index, value: m.syncAction.value ?? {} }),
        true,
      )
    } catch (err) {
      throw new SyncError(400, `bad patch: ${(err as Error).message}`)
    }
    const mac = snapshotMac(result.hash, base + 1, name, s.key.keyData!)
    if (!patch.snapshotMac || !mac.equals(Buffer.from(patch.snapshotMac)))
      throw new SyncError(400, 'bad patch: snapshot MAC')
    c.state = { version: base + 1, hash: result.hash, indexValueMap: result.indexValueMap }
    c.patches.push(proto.SyncdPatch.encode(patch).finish())
    this.views.apply(a, mutations)
    this.serverSync(a, name, c.state.version, conn)
  }
}
