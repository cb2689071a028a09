// Pure: Baileys group, presence and block-list events → our records, and stored groups → Baileys' GroupMetadata.
import {
  isJidGroup,
  jidNormalizedUser,
  type BaileysEventMap,
  type GroupMetadata,
  type GroupParticipant,
} from '@whiskeysockets/baileys'
import { pnAndLid, toMs } from './normalize.ts'
import type { GroupParticipantsChange, GroupRecord, ParticipantRecord, PresenceRecord } from './records.ts'

const present = <T>(v: T | null | undefined): v is T => v != null

export function participantRecord(p: Partial<GroupParticipant>): ParticipantRecord | null {
  if (!p.id) return null
  const ids = pnAndLid(p.id, p.phoneNumber ?? p.lid)
  if (p.lid && !ids.lid) ids.lid = jidNormalizedUser(p.lid)
  if (p.phoneNumber && !ids.pn) ids.pn = jidNormalizedUser(p.phoneNumber)
  const admin = p.admin ?? (p.isSuperAdmin ? 'superadmin' : p.isAdmin ? 'admin' : null)
  return { jid: jidNormalizedUser(p.id), lid: ids.lid ?? null, pn: ids.pn ?? null, admin }
}

/**
 * Group metadata → record. A complete answer (it lists participants) sets every field, absent ones to their
 * default; a partial one (groups.update from a notification) only the fields it carries.
 */
export function groupRecord(m: Partial<GroupMetadata>): GroupRecord | null {
  if (!m.id) return null
  const jid = m.id.includes('@') ? jidNormalizedUser(m.id) : `${m.id}@g.us`
  const r: GroupRecord = { jid }
  const full = Array.isArray(m.participants)
  if (m.subject !== undefined) r.subject = m.subject || null
  if (full || 'desc' in m) r.description = m.desc || null
  if (full || 'descId' in m) r.descriptionId = m.descId || null
  if (m.owner !== undefined || full) r.owner = m.owner ? jidNormalizedUser(m.owner) : null
  if (m.ownerPn) r.ownerPn = jidNormalizedUser(m.ownerPn)
  if (m.creation) r.createdAt = toMs(m.creation)
  if (m.announce !== undefined || full) r.announce = !!m.announce
  if (m.restrict !== undefined || full) r.locked = !!m.restrict
  if (m.ephemeralDuration !== undefined || full) r.ephemeralSeconds = m.ephemeralDuration || 0
  if (m.addressingMode) r.addressingMode = m.addressingMode === 'lid' ? 'lid' : 'pn'
  if (full) r.participants = m.participants!.map(participantRecord).filter(present)
  return r
}

export function participantsChange(e: BaileysEventMap['group-participants.update']): GroupParticipantsChange | null {
  if (!e.id || !isJidGroup(e.id)) return null
  // Named as a message's sender is: by phone number when WhatsApp gives it, else by LID (ingest then looks the LID
  // up in the stored mapping). `authorPn` is Baileys' name for the key's alternate id, a LID in a PN group.
  const ids = pnAndLid(e.author, e.authorPn)
  return {
    groupJid: jidNormalizedUser(e.id),
    action: e.action,
    participants: e.participants.map(participantRecord).filter(present),
    actor: ids.pn ?? ids.lid ?? null,
  }
}

export function presenceRecords(e: BaileysEventMap['presence.update']): PresenceRecord[] {
  return Object.entries(e.presences ?? {}).map(([jid, p]) => ({
    chatJid: jidNormalizedUser(e.id),
    jid: jidNormalizedUser(jid),
    state: p.lastKnownPresence,
    lastSeen: p.lastSeen ? toMs(p.lastSeen) : null,
  }))
}

/** The stored copy handed back to Baileys as `cachedGroupMetadata`, so group sends need no metadata query. */
export function toGroupMetadata(g: GroupRecord & { participants: ParticipantRecord[] }): GroupMetadata {
  return {
    id: g.jid,
    subject: g.subject ?? '',
    owner: g.owner ?? undefined,
    ...(g.ownerPn ? { ownerPn: g.ownerPn } : {}),
    ...(g.createdAt ? { creation: Math.floor(g.createdAt / 1000) } : {}),
    ...(g.description ? { desc: g.description } : {}),
    ...(g.descriptionId ? { descId: g.descriptionId } : {}),
    restrict: !!g.locked,
    announce: !!g.announce,
    ...(g.ephemeralSeconds ? { ephemeralDuration: g.ephemeralSeconds } : {}),
    ...(g.addressingMode ? { addressingMode: g.addressingMode as GroupMetadata['addressingMode'] } : {}),
    size: g.participants.length,
    participants: g.participants.map((p) => ({
      id: p.jid,
      ...(p.lid ? { lid: p.lid } : {}),
      ...(p.pn ? { phoneNumber: p.pn } : {}),
      admin: p.admin,
    })),
  }
}
