// Answers every IQ a client sends (an unanswered IQ costs the client a timeout): key bundles, usync, the init
// queries, app-state sync, channels, pairing-code stages. Unknown IQs get an empty result and a log line.
import {
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildren,
  type BinaryNode,
} from '@whiskeysockets/baileys'
import type { SimContext } from './context.ts'
import { groupIq } from './group-iq.ts'
import type { Conn, LinkedDevice } from './network.ts'
import type { Registration } from './pairing.ts'
import type { Bundle } from './signal-peer.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function be(n: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes)
  out.writeUIntBE(n, 0, bytes)
  return out
}

function beUInt(buf: Uint8Array | undefined): number {
  return buf?.length ? Buffer.from(buf).readUIntBE(0, buf.length) : 0
}

function bundleNode(jid: string, b: Bundle): BinaryNode {
  const content: BinaryNode[] = [
    { tag: 'registration', attrs: {}, content: be(b.registrationId, 4) },
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: b.identity },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: be(b.signedPreKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.signedPreKey.pub },
        { tag: 'signature', attrs: {}, content: b.signedPreKey.signature },
      ],
    },
  ]
  if (b.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: be(b.preKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.preKey.pub },
      ],
    })
  }
  return { tag: 'user', attrs: { jid }, content }
}

function parseKey(node: BinaryNode | undefined): { id: number; pub: Buffer } | undefined {
  const value = getBinaryNodeChildBuffer(node, 'value')
  if (!node || !value) return undefined
  return { id: beUInt(getBinaryNodeChildBuffer(node, 'id')), pub: Buffer.from(value) }
}

export class IqHandler {
  constructor(private readonly ctx: SimContext) {}

  async handle(conn: Conn, node: BinaryNode, reg: Registration | undefined): Promise<void> {
    const { xmlns, type } = node.attrs
    const reply = (attrs: Record<string, string>, content?: BinaryNode[]) =>
      conn.send({
        tag: 'iq',
        attrs: { id: node.attrs.id ?? '', from: node.attrs.to ?? 's.whatsapp.net', ...attrs },
        content,
      })
    const fault = this.ctx.faults.take(xmlns, type)
    try {
      if (fault?.action === 'delay') await sleep(fault.ms)
      if (fault?.action === 'fail') {
        reply({ type: 'error' }, [{ tag: 'error', attrs: { code: String(fault.code), text: 'simulated-fault' } }])
        return
      }
      const content = await this.answer(conn, node, reg)
      reply({ type: 'result' }, content)
    } catch (err) {
      this.ctx.log.warn({ err, xmlns, type }, 'simulator: iq failed')
      const code = (err as { status?: number }).status ?? 500
      reply({ type: 'error' }, [{ tag: 'error', attrs: { code: String(code), text: String((err as Error).message) } }])
    } finally {
      // The digest check is the last step before Baileys reports `open`: from here on messages may flow.
      if (xmlns === 'encrypt' && getBinaryNodeChild(node, 'digest')) this.ctx.markReady(conn.id)
    }
  }

  private async answer(conn: Conn, node: BinaryNode, reg: Registration | undefined): Promise<BinaryNode[] | undefined> {
    const { xmlns, type } = node.attrs
    const device = conn.device
    switch (xmlns) {
      case 'encrypt':
        return this.encrypt(device, node)
      case 'usync':
        return this.usync(node)
      case 'w:p':
      case 'passive':
      case 'w:stats':
      case 'abt':
      case 'urn:xmpp:whatsapp:dirty':
      case 'disappearing_mode':
      case 'status':
      case 'bot':
        return undefined
      case 'privacy':
        if (type !== 'get') return undefined
        return [
          {
            tag: 'privacy',
            attrs: {},
            content: ['last', 'online', 'profile', 'status', 'readreceipts', 'groupadd', 'calladd'].map((name) => ({
              tag: 'category',
              attrs: {
                name,
                value:
                  name === 'readreceipts'
                    ? 'all'
                    : name === 'groupadd' && device
                      ? this.ctx.contacts.of(device.account).groupAdd
                      : 'contacts',
              },
            })),
          },
        ]
      case 'blocklist':
        return this.ctx.contacts.blocklistIq(device, node)
      case 'w:profile:picture':
        return this.ctx.contacts.pictureIq(node)
      case 'w:g2':
        return groupIq(this.ctx.groups, conn, node)
      case 'w:sync:app:state':
        return this.ctx.appState.iq(conn, node)
      case 'w:m':
        // Always answered: one failed media_conn breaks a Baileys socket's uploads until it ends.
        return getBinaryNodeChild(node, 'media_conn') ? this.ctx.media.mediaConn() : undefined
      case 'w:mex':
        return this.ctx.channels.mex(device?.account, node)
      case 'newsletter':
        return this.ctx.channels.newsletterIq(node)
      case 'md': {
        if (getBinaryNodeChild(node, 'link_code_companion_reg')) return this.ctx.pairing.onLinkCodeIq(reg, node)
        if (getBinaryNodeChild(node, 'remove-companion-device') && device) {
          this.ctx.net.unlink(device)
          setTimeout(() => conn.close(), 10)
        }
        return undefined
      }
      default:
        this.ctx.log.debug(
          { xmlns, type, child: Array.isArray(node.content) ? node.content[0]?.tag : undefined },
          'simulator: answered unknown iq',
        )
        return undefined
    }
  }

  private encrypt(device: LinkedDevice | undefined, node: BinaryNode): BinaryNode[] | undefined {
    if (getBinaryNodeChild(node, 'count'))
      return [{ tag: 'count', attrs: { value: String(device?.preKeys.length ?? 0) } }]
    if (getBinaryNodeChild(node, 'digest')) return [{ tag: 'digest', attrs: {} }]
    const keyReq = getBinaryNodeChild(node, 'key')
    if (keyReq) {
      const users: BinaryNode[] = []
      for (const u of getBinaryNodeChildren(keyReq, 'user')) {
        const jid = u.attrs.jid
        const target = this.ctx.net.resolve(jid)
        if (!target || !jid) continue
        if (target.device === 0) {
          users.push(bundleNode(jid, target.account.peer.bundle()))
          continue
        }
        const d = target.account.devices.get(target.device)
        if (!d) continue
        users.push(bundleNode(jid, { ...d.bundle, preKey: d.preKeys.shift() }))
      }
      return [{ tag: 'list', attrs: {}, content: users }]
    }
    const rotate = getBinaryNodeChild(node, 'rotate')
    if (rotate && device) {
      const skey = getBinaryNodeChild(rotate, 'skey')
      const k = parseKey(skey)
      const signature = getBinaryNodeChildBuffer(skey, 'signature')
      if (k && signature)
        device.bundle = { ...device.bundle, signedPreKey: { ...k, signature: Buffer.from(signature) } }
      return undefined
    }
    if (device && getBinaryNodeChild(node, 'list')) {
      const keys = getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'key')
        .map(parseKey)
        .filter((k): k is { id: number; pub: Buffer } => !!k)
      const skey = getBinaryNodeChild(node, 'skey')
      const k = parseKey(skey)
      const signature = getBinaryNodeChildBuffer(skey, 'signature')
      const identity = getBinaryNodeChildBuffer(node, 'identity')
      device.bundle = {
        registrationId: beUInt(getBinaryNodeChildBuffer(node, 'registration')) || device.bundle.registrationId,
        identity: identity ? Buffer.from(identity) : device.bundle.identity,
        signedPreKey: k && signature ? { ...k, signature: Buffer.from(signature) } : device.bundle.signedPreKey,
      }
      device.preKeys.push(...keys)
    }
    return undefined
  }

  /** usync: devices (phone + linked devices with key-index), lid, contact. Users by JID (PN or LID) or by phone. */
  private usync(node: BinaryNode): BinaryNode[] {
    const usync = getBinaryNodeChild(node, 'usync')
    const query = getBinaryNodeChild(usync, 'query')
    const wanted = new Set(Array.isArray(query?.content) ? query.content.map((p) => p.tag) : [])
    const users: BinaryNode[] = []
    for (const u of getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user')) {
      const contact = getBinaryNodeChild(u, 'contact')
      const phone = contact?.content
        ? Buffer.from(contact.content as Uint8Array)
            .toString()
            .replace(/[^0-9]/g, '')
        : undefined
      const jid = u.attrs.jid ?? (phone ? `${phone}@s.whatsapp.net` : undefined)
      if (!jid) continue
      const target = this.ctx.net.resolve(jid)
      const content: BinaryNode[] = []
      if (wanted.has('contact')) content.push({ tag: 'contact', attrs: { type: target ? 'in' : 'out' } })
      if (wanted.has('devices')) {
        const list: BinaryNode[] = target
          ? [
              { tag: 'device', attrs: { id: '0' } },
              ...[...target.account.devices.values()].map((d) => ({
                tag: 'device',
                attrs: { id: String(d.id), 'key-index': String(d.keyIndex) },
              })),
            ]
          : []
        content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: list }] })
      }
      if (wanted.has('lid') && target) content.push({ tag: 'lid', attrs: { val: target.account.lid } })
      users.push({ tag: 'user', attrs: { jid }, content })
    }
    return [
      {
        tag: 'usync',
        attrs: {},
        content: [
          { tag: 'result', attrs: {} },
          { tag: 'list', attrs: {}, content: users },
        ],
      },
    ]
  }
}
