// Ingest helpers for groups and their members, presence, chat deletes and blocks; run inside the batch transaction.
import { chatFromRow } from '../store/chats.ts'
import { applyChatPatch, chatJidOf } from './ingest-chats.ts'
import { groupFromRow, participantFromRow, type ParticipantRow } from '../store/groups.ts'
import type { GroupWrite } from '../store/groups-sql.ts'
import type { GroupParticipantsChange, GroupRecord, ParticipantRecord, PresenceRecord } from '../whatsapp/records.ts'
import type { Tx } from './ingest-writes.ts'
import { q, type R, type Step } from './ingest-steps.ts'

const bool = (v: boolean | undefined, old: number | undefined) => (v !== undefined ? (v ? 1 : 0) : (old ?? 0))
const pick = <T>(v: T | undefined, old: T | null | undefined): T | null => (v !== undefined ? v : (old ?? null))

/** The stored member a record names, by any of its ids (a notification may name the LID of a PN-stored member). */
function findMember(members: ParticipantRow[], p: ParticipantRecord): ParticipantRow | undefined {
  const ids = [p.jid, p.lid, p.pn].filter(Boolean)
  return members.find((m) => ids.includes(m.jid) || (m.lid && ids.includes(m.lid)) || (m.pn && ids.includes(m.pn)))
}

/**
 * Merges group metadata into the stored row; a complete member list replaces the stored one. Appends
 * `group.updated` when anything visible changed, so the echo of our own change adds nothing.
 */
export function* applyGroup(tx: Tx, g: GroupRecord): Step<void> {
  const old = (yield q.groupByJid(tx.sessionId, g.jid)) as R<'groupByJid'>
  const next: GroupWrite = {
    jid: g.jid,
    subject: pick(g.subject, old?.subject),
    description: pick(g.description, old?.description),
    description_id: pick(g.descriptionId, old?.description_id),
    owner: pick(g.owner, old?.owner),
    owner_pn: pick(g.ownerPn, old?.owner_pn),
    wa_created_at: pick(g.createdAt, old?.wa_created_at),
    announce: bool(g.announce, old?.announce),
    locked: bool(g.locked, old?.locked),
    ephemeral_seconds: g.ephemeralSeconds ?? old?.ephemeral_seconds ?? 0,
    addressing_mode: pick(g.addressingMode, old?.addressing_mode),
    synced_at: g.participants ? tx.now : (old?.synced_at ?? null),
  }
  let membersChanged = false
  if (g.participants) membersChanged = (yield replaceMembers(tx, g.jid, g.participants)) as boolean
  const visible: (keyof GroupWrite)[] = ['subject', 'description', 'owner', 'announce', 'locked', 'ephemeral_seconds']
  const changed = !old || membersChanged || visible.some((k) => old[k] !== next[k])
  const quiet: (keyof GroupWrite)[] = ['description_id', 'owner_pn', 'wa_created_at', 'addressing_mode', 'synced_at']
  if (!changed && old && quiet.every((k) => old[k] === next[k])) return
  const row = (yield q.upsertGroup({ session_id: tx.sessionId, now: tx.now, ...next })) as R<'upsertGroup'>
  if (row && changed)
    yield tx.emit('group.updated', groupFromRow(row, (yield q.members(tx.sessionId, g.jid)) as R<'members'>))
  // The group's chat carries its subject as name (a known group is a chat of the account, messages or not).
  if (next.subject && next.subject !== (old?.subject ?? null))
    yield applyChatPatch(tx, { jid: g.jid, type: 'group', name: next.subject })
}

function* replaceMembers(tx: Tx, groupJid: string, list: ParticipantRecord[]): Step<boolean> {
  const before = (yield q.participants(tx.sessionId, groupJid)) as R<'participants'>
  let changed = before.length !== list.length
  const keep = new Set<string>()
  for (const p of list) {
    const m = before.find((b) => b.jid === p.jid)
    keep.add(p.jid)
    if (!m || (m.admin ?? null) !== p.admin) changed = true
    else if ((!p.lid || m.lid === p.lid) && (!p.pn || m.pn === p.pn)) continue
    yield q.upsertParticipant(tx.sessionId, groupJid, p.jid, p.lid, p.pn, p.admin)
  }
  for (const b of before) if (!keep.has(b.jid)) yield q.deleteParticipant(tx.sessionId, groupJid, b.jid)
  return changed
}

/** Applies one add/remove/promote/demote and appends `group.participants` naming the members really changed. */
export function* applyParticipants(tx: Tx, c: GroupParticipantsChange): Step<void> {
  const members = (yield q.participants(tx.sessionId, c.groupJid)) as R<'participants'>
  const changed: ParticipantRecord[] = []
  for (const p of c.participants) {
    const m = findMember(members, p)
    const jid = m?.jid ?? p.jid
    if (c.action === 'add' || c.action === 'modify') {
      if (m && c.action === 'add') continue
      yield q.upsertParticipant(tx.sessionId, c.groupJid, jid, p.lid, p.pn, m?.admin ?? p.admin ?? null)
      if (c.action === 'add') changed.push(p)
    } else if (c.action === 'remove') {
      if (!m) continue
      yield q.deleteParticipant(tx.sessionId, c.groupJid, m.jid)
      changed.push({ ...p, admin: null })
    } else {
      const admin = c.action === 'promote' ? (m?.admin === 'superadmin' ? 'superadmin' : 'admin') : null
      if (m && (m.admin ?? null) === admin) continue
      yield q.upsertParticipant(tx.sessionId, c.groupJid, jid, p.lid, p.pn, admin)
      changed.push({ ...p, admin })
    }
  }
  if (!changed.length) return
  if (!((yield q.groupByJid(tx.sessionId, c.groupJid)) as R<'groupByJid'>)) yield applyGroup(tx, { jid: c.groupJid })
  // A LID-only actor by phone number when the mapping is known, as presence below.
  const actor = c.actor && ((yield chatJidOf(tx, c.actor)) as string)
  yield tx.emit('group.participants', {
    groupJid: c.groupJid,
    action: c.action,
    participants: changed.map((p) => participantFromRow({ jid: p.jid, lid: p.lid, pn: p.pn, admin: p.admin })),
    actor,
  })
}

/**
 * Presence is not stored: it is only ever current, so it goes out as an event. Who and where are named as
 * everywhere else: a LID (a member of a LID-addressed group, a contact writing from its LID) by its phone number
 * when the mapping is known, so typing in a DM names the one chat per person.
 */
export function* applyPresence(tx: Tx, p: PresenceRecord): Step<void> {
  const chatJid = (yield chatJidOf(tx, p.chatJid)) as string
  const jid = p.jid === p.chatJid ? chatJid : ((yield chatJidOf(tx, p.jid)) as string)
  yield tx.emit('presence.updated', { chatJid, jid, presence: p.state, lastSeen: p.lastSeen })
}

/** A chat deleted on WhatsApp (here or on the phone): gone from the stored copy with its messages. */
export function* applyChatDelete(tx: Tx, jid: string): Step<void> {
  jid = (yield chatJidOf(tx, jid)) as string
  // The last state as served (display name), read before the row goes.
  const last = (yield q.chatViewByJid(tx.sessionId, jid)) as R<'chatViewByJid'>
  if (!last || !((yield q.deleteChat(tx.sessionId, jid)) as R<'deleteChat'>)) return
  yield q.dropMessages(tx.sessionId, jid)
  yield tx.emit('chat.deleted', chatFromRow(last))
}

export function* applyBlock(tx: Tx, jid: string, blocked: boolean): Step<void> {
  const flag = blocked ? 1 : 0
  if (((yield q.setBlocked(tx.sessionId, jid, flag, tx.now)) as R<'setBlocked'>).length) return
  const lid = jid.endsWith('@lid')
  yield q.insertBlocked(tx.sessionId, lid ? null : jid, lid ? jid : null, flag, tx.now)
}
