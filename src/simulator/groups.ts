// Groups as WhatsApp's server keeps them: subject, description, settings, members with roles, invite codes. Every
// change (made by a linked client through w:g2 IQs or by a phone through the control API) is announced to every
// member's linked devices with a `w:gp2` notification, the acting client included (Baileys emits nothing for its own
// group IQs). Participant changes answer per participant, the way WhatsApp does:
//   200 done · 403 the invitee's privacy setting refuses the adder (with an <add_request> to send an invite instead)
//   404 not on WhatsApp / not a member · 409 already a member
import { randomBytes, randomInt } from 'node:crypto'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Contacts } from './contacts.ts'
import { SimError } from './context.ts'
import type { Delivery } from './delivery.ts'
import { messageId, nowSeconds, type Account, type Network } from './network.ts'

export type GroupRole = null | 'admin' | 'superadmin'
export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote'
export const PARTICIPANT_ACTIONS: readonly ParticipantAction[] = ['add', 'remove', 'promote', 'demote']

export interface GroupMessage {
  id: string
  from: string
  /** text, image, …, poll, pollVote, reaction (as in a phone's inbox) */
  kind: string
  /** The text of a text message, '' for other kinds. */
  text: string
  timestamp: number
  /** Phones that decrypted it (for messages a linked client sent). */
  decryptedBy: string[]
  /** The kind's details: what the phone sent, or what the first member phone read (e.g. a decrypted vote). */
  [detail: string]: unknown
}

export interface Group {
  jid: string
  id: string
  subject: string
  subjectOwner: Account
  subjectTime: number
  creation: number
  owner: Account
  description?: { id: string; body: string; owner: Account; t: number }
  announce: boolean
  locked: boolean
  /** Disappearing-messages timer in seconds; 0 = off. */
  ephemeral: number
  inviteCode: string
  addressingMode: 'pn' | 'lid'
  members: Map<string, { account: Account; role: GroupRole }>
  messages: GroupMessage[]
}

export interface ParticipantResult {
  jid: string
  status: string
  addRequest?: { code: string; expiration: number }
}

/** An IQ error: its status becomes the <error code>; on the control API it maps to a SimError. */
export class GroupError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }

  toSimError(): SimError {
    const code = this.status === 404 ? 'not_found' : this.status === 409 ? 'conflict' : 'forbidden'
    return new SimError(code, this.message, { whatsappCode: this.status })
  }
}

const inviteCode = () => randomBytes(16).toString('base64url').slice(0, 22)

export class Groups {
  readonly byJid = new Map<string, Group>()
  private readonly byCode = new Map<string, Group>()
  /** w:g2 metadata queries (`<query>`) per account phone, per group. */
  private readonly queries = new Map<string, Map<string, number>>()

  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
    private readonly contacts: Contacts,
  ) {}

  get(jid: string): Group {
    const g = this.byJid.get(jid)
    if (!g) throw new GroupError(404, 'item-not-found')
    return g
  }

  member(g: Group, account: Account): boolean {
    return g.members.has(account.phone)
  }

  isAdmin(g: Group, account: Account): boolean {
    return !!g.members.get(account.phone)?.role
  }

  requireMember(g: Group, account: Account): void {
    if (!this.member(g, account)) throw new GroupError(403, 'forbidden')
  }

  requireAdmin(g: Group, account: Account): void {
    this.requireMember(g, account)
    if (!this.isAdmin(g, account)) throw new GroupError(403, 'not-authorized')
  }

  /** Groups `account` is a member of. */
  participating(account: Account): Group[] {
    return [...this.byJid.values()].filter((g) => this.member(g, account))
  }

  countQuery(account: Account, g: Group): void {
    let m = this.queries.get(account.phone)
    if (!m) this.queries.set(account.phone, (m = new Map()))
    m.set(g.jid, (m.get(g.jid) ?? 0) + 1)
  }

  queryCounts(account: Account): { total: number; byGroup: Record<string, number> } {
    const byGroup = Object.fromEntries(this.queries.get(account.phone) ?? [])
    return { total: Object.values(byGroup).reduce((a, b) => a + b, 0), byGroup }
  }

  /** Creates a group owned by `owner`; participants refused by their privacy are left out and reported. */
  create(
    owner: Account,
    subject: string,
    participants: string[],
    addressingMode: 'pn' | 'lid' = 'pn',
  ): { group: Group; results: ParticipantResult[] } {
    let id: string
    do id = `120363${randomInt(100_000_000, 999_999_999)}${randomInt(100_000, 999_999)}`
    while (this.byJid.has(`${id}@g.us`))
    const now = nowSeconds()
    const g: Group = {
      jid: `${id}@g.us`,
      id,
      subject,
      subjectOwner: owner,
      subjectTime: now,
      creation: now,
      owner,
      announce: false,
      locked: false,
      ephemeral: 0,
      inviteCode: inviteCode(),
      addressingMode,
      members: new Map([[owner.phone, { account: owner, role: 'superadmin' as GroupRole }]]),
      messages: [],
    }
    this.byJid.set(g.jid, g)
    this.byCode.set(g.inviteCode, g)
    const results = participants.map((jid) => this.addOne(g, owner, jid))
    this.notify(g, owner, [{ tag: 'create', attrs: {}, content: [groupNode(g)] }])
    return { group: g, results }
  }

  private addOne(g: Group, actor: Account, jid: string): ParticipantResult {
    const target = this.net.resolve(jid)?.account
    if (!target) return { jid, status: '404' }
    if (this.member(g, target)) return { jid, status: '409' }
    if (!this.contacts.allowsGroupAdd(target, actor)) {
      return { jid, status: '403', addRequest: { code: inviteCode(), expiration: nowSeconds() + 3 * 86_400 } }
    }
    g.members.set(target.phone, { account: target, role: null })
    return { jid, status: '200' }
  }

  /** add/remove/promote/demote by an admin; one result per requested jid, in order. */
  participants(g: Group, actor: Account, action: ParticipantAction, jids: string[]): ParticipantResult[] {
    this.requireAdmin(g, actor)
    const results: ParticipantResult[] = []
    const changed: Account[] = []
    const removed: Account[] = []
    for (const jid of jids) {
      if (action === 'add') {
        const r = this.addOne(g, actor, jid)
        results.push(r)
        if (r.status === '200') changed.push(this.net.resolve(jid)!.account)
        continue
      }
      const target = this.net.resolve(jid)?.account
      const m = target ? g.members.get(target.phone) : undefined
      if (!target || !m) {
        results.push({ jid, status: '404' })
        continue
      }
      if (action === 'remove') {
        g.members.delete(target.phone)
        removed.push(target)
      } else m.role = action === 'promote' ? (m.role === 'superadmin' ? 'superadmin' : 'admin') : null
      changed.push(target)
      results.push({ jid, status: '200' })
    }
    if (changed.length) {
      const content = changed.map((a) => participantNode(g, a, g.members.get(a.phone)?.role))
      this.notify(g, actor, [{ tag: action, attrs: {}, content }], removed)
    }
    return results
  }

  leave(g: Group, actor: Account): void {
    this.requireMember(g, actor)
    g.members.delete(actor.phone)
    this.notify(g, actor, [{ tag: 'remove', attrs: {}, content: [participantNode(g, actor)] }], [actor])
    // WhatsApp keeps a group administered: the longest-standing member becomes admin when the last one leaves.
    const members = [...g.members.values()]
    if (members.length && !members.some((m) => m.role)) {
      members[0]!.role = 'admin'
      this.notify(g, members[0]!.account, [
        { tag: 'promote', attrs: {}, content: [participantNode(g, members[0]!.account)] },
      ])
    }
  }

  join(code: string, actor: Account): Group {
    const g = this.byCode.get(code)
    if (!g) throw new GroupError(404, 'item-not-found')
    if (this.member(g, actor)) throw new GroupError(409, 'conflict')
    g.members.set(actor.phone, { account: actor, role: null })
    this.notify(g, actor, [{ tag: 'add', attrs: { reason: 'invite' }, content: [participantNode(g, actor)] }])
    return g
  }

  byInvite(code: string): Group {
    const g = this.byCode.get(code)
    if (!g) throw new GroupError(404, 'item-not-found')
    return g
  }

  revokeInvite(g: Group, actor: Account): string {
    this.requireAdmin(g, actor)
    this.byCode.delete(g.inviteCode)
    g.inviteCode = inviteCode()
    this.byCode.set(g.inviteCode, g)
    this.notify(g, actor, [{ tag: 'invite', attrs: { code: g.inviteCode } }])
    return g.inviteCode
  }

  /** Subject and description: any member unless the group is locked (admins only). */
  private requireInfoEditor(g: Group, actor: Account): void {
    if (g.locked) this.requireAdmin(g, actor)
    else this.requireMember(g, actor)
  }

  setSubject(g: Group, actor: Account, subject: string): void {
    this.requireInfoEditor(g, actor)
    g.subject = subject
    g.subjectOwner = actor
    g.subjectTime = nowSeconds()
    this.notify(g, actor, [{ tag: 'subject', attrs: { subject, s_o: actor.jid, s_t: String(g.subjectTime) } }])
  }

  setDescription(g: Group, actor: Account, body: string | null, id = messageId()): void {
    this.requireInfoEditor(g, actor)
    g.description = body ? { id, body, owner: actor, t: nowSeconds() } : undefined
    const content: BinaryNode[] | undefined = body
      ? [{ tag: 'body', attrs: {}, content: Buffer.from(body) }]
      : undefined
    this.notify(g, actor, [{ tag: 'description', attrs: body ? { id } : { id, delete: 'true' }, content }])
  }

  /** announce/locked are admin-only; the ephemeral timer follows the info-edit rule. */
  setting(g: Group, actor: Account, change: { announce?: boolean; locked?: boolean; ephemeral?: number }): void {
    if (change.announce !== undefined || change.locked !== undefined) this.requireAdmin(g, actor)
    if (change.ephemeral !== undefined) this.requireInfoEditor(g, actor)
    if (change.announce !== undefined && change.announce !== g.announce) {
      g.announce = change.announce
      this.notify(g, actor, [{ tag: g.announce ? 'announcement' : 'not_announcement', attrs: {} }])
    }
    if (change.locked !== undefined && change.locked !== g.locked) {
      g.locked = change.locked
      this.notify(g, actor, [{ tag: g.locked ? 'locked' : 'unlocked', attrs: {} }])
    }
    if (change.ephemeral !== undefined && change.ephemeral !== g.ephemeral) {
      g.ephemeral = change.ephemeral
      const child: BinaryNode = g.ephemeral
        ? { tag: 'ephemeral', attrs: { expiration: String(g.ephemeral) } }
        : { tag: 'not_ephemeral', attrs: {} }
      this.notify(g, actor, [child])
    }
  }

  /** Sends a w:gp2 notification to every member's linked devices (plus `extra` accounts, e.g. those removed). */
  notify(g: Group, actor: Account, content: BinaryNode[], extra: Account[] = []): void {
    const t = String(nowSeconds())
    const attrs: Record<string, string> =
      g.addressingMode === 'lid'
        ? { from: g.jid, type: 'w:gp2', t, participant: actor.lid, participant_pn: actor.jid, addressing_mode: 'lid' }
        : { from: g.jid, type: 'w:gp2', t, participant: actor.jid, participant_lid: actor.lid }
    const accounts = new Map<string, Account>()
    for (const m of g.members.values()) accounts.set(m.account.phone, m.account)
    for (const a of extra) accounts.set(a.phone, a)
    for (const account of accounts.values()) {
      for (const device of account.devices.values()) {
        const id = messageId()
        this.delivery.enqueue(device, {
          kind: 'raw',
          id,
          node: { tag: 'notification', attrs: { ...attrs, id }, content },
        })
      }
    }
  }
}

/** `<participant>` as a group node lists it: the addressing-mode JID plus the other one, and the role. */
export function participantNode(g: Group, a: Account, role?: GroupRole): BinaryNode {
  const attrs: Record<string, string> =
    g.addressingMode === 'lid' ? { jid: a.lid, phone_number: a.jid } : { jid: a.jid, lid: a.lid }
  if (role) attrs.type = role
  return { tag: 'participant', attrs }
}

/** The `<group>` node Baileys' extractGroupMetadata reads. */
export function groupNode(g: Group): BinaryNode {
  const owner = g.addressingMode === 'lid' ? g.owner.lid : g.owner.jid
  const attrs: Record<string, string> = {
    id: g.id,
    subject: g.subject,
    s_o: g.addressingMode === 'lid' ? g.subjectOwner.lid : g.subjectOwner.jid,
    s_t: String(g.subjectTime),
    creation: String(g.creation),
    creator: owner,
    addressing_mode: g.addressingMode,
    size: String(g.members.size),
  }
  if (g.addressingMode === 'lid') attrs.creator_pn = g.owner.jid
  const content: BinaryNode[] = []
  if (g.description) {
    content.push({
      tag: 'description',
      attrs: { id: g.description.id, participant: g.description.owner.jid, t: String(g.description.t) },
      content: [{ tag: 'body', attrs: {}, content: Buffer.from(g.description.body) }],
    })
  }
  if (g.locked) content.push({ tag: 'locked', attrs: {} })
  if (g.announce) content.push({ tag: 'announcement', attrs: {} })
  if (g.ephemeral) content.push({ tag: 'ephemeral', attrs: { expiration: String(g.ephemeral) } })
  for (const m of g.members.values()) content.push(participantNode(g, m.account, m.role))
  return { tag: 'group', attrs, content }
}
