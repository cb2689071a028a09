// IQ xmlns=w:g2 from a linked client, mapped onto the Groups operations (see groups.ts for the rules and codes).
// Only `<query>` (groupMetadata, also sent by Baileys before every group send without a metadata cache) is counted.
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode } from '@whiskeysockets/baileys'
import { GroupError, groupNode, type Groups, type ParticipantAction, type ParticipantResult } from './groups.ts'
import type { Conn } from './network.ts'

const SETTINGS: Record<string, { announce?: boolean; locked?: boolean }> = {
  announcement: { announce: true },
  not_announcement: { announce: false },
  locked: { locked: true },
  unlocked: { locked: false },
}

function resultNode(r: ParticipantResult): BinaryNode {
  const attrs: Record<string, string> = { jid: r.jid }
  if (r.status !== '200') attrs.error = r.status
  const content = r.addRequest
    ? [{ tag: 'add_request', attrs: { code: r.addRequest.code, expiration: String(r.addRequest.expiration) } }]
    : undefined
  return { tag: 'participant', attrs, content }
}

export function groupIq(groups: Groups, conn: Conn, node: BinaryNode): BinaryNode[] | undefined {
  const actor = conn.device?.account
  if (!actor) throw new GroupError(401, 'not-authorized')
  const child = Array.isArray(node.content) ? node.content[0] : undefined
  if (!child) throw new GroupError(400, 'bad-request')
  const to = node.attrs.to ?? ''
  const get = node.attrs.type === 'get'

  if (to === '@g.us' || to === 'g.us') {
    switch (child.tag) {
      case 'participating': {
        const list = groups.participating(actor).map(groupNode)
        return [{ tag: 'groups', attrs: {}, content: list }]
      }
      case 'create': {
        const subject = child.attrs.subject ?? ''
        const jids = getBinaryNodeChildren(child, 'participant').map((p) => p.attrs.jid ?? '')
        const { group } = groups.create(actor, subject, jids)
        return [groupNode(group)]
      }
      case 'leave': {
        for (const g of getBinaryNodeChildren(child, 'group')) {
          const id = g.attrs.id ?? ''
          groups.leave(groups.get(id.includes('@') ? id : `${id}@g.us`), actor)
        }
        return undefined
      }
      case 'invite': {
        const code = child.attrs.code ?? ''
        if (get) return [groupNode(groups.byInvite(code))]
        const g = groups.join(code, actor)
        return [{ tag: 'group', attrs: { jid: g.jid } }]
      }
      default:
        throw new GroupError(400, 'bad-request')
    }
  }

  const g = groups.get(to)
  switch (child.tag) {
    case 'query':
      groups.requireMember(g, actor)
      groups.countQuery(actor, g)
      return [groupNode(g)]
    case 'invite':
      if (get) {
        groups.requireAdmin(g, actor)
        return [{ tag: 'invite', attrs: { code: g.inviteCode } }]
      }
      return [{ tag: 'invite', attrs: { code: groups.revokeInvite(g, actor) } }]
    case 'subject':
      groups.setSubject(g, actor, Buffer.from((child.content as Uint8Array | undefined) ?? []).toString())
      return undefined
    case 'description': {
      const body = getBinaryNodeChild(child, 'body')?.content
      const text = child.attrs.delete === 'true' || !body ? null : Buffer.from(body as Uint8Array).toString()
      groups.setDescription(g, actor, text, child.attrs.id)
      return undefined
    }
    case 'announcement':
    case 'not_announcement':
    case 'locked':
    case 'unlocked':
      groups.setting(g, actor, SETTINGS[child.tag]!)
      return undefined
    case 'ephemeral':
    case 'not_ephemeral':
      groups.setting(g, actor, { ephemeral: child.tag === 'ephemeral' ? Number(child.attrs.expiration ?? 0) : 0 })
      return undefined
    case 'add':
    case 'remove':
    case 'promote':
    case 'demote': {
      const jids = getBinaryNodeChildren(child, 'participant').map((p) => p.attrs.jid ?? '')
      const results = groups.participants(g, actor, child.tag as ParticipantAction, jids)
      return [{ tag: child.tag, attrs: {}, content: results.map(resultNode) }]
    }
    default:
      throw new GroupError(400, 'bad-request')
  }
}
