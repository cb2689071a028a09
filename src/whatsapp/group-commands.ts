// Group operations on a live Baileys socket (w:g2 IQs): create, metadata, settings, members, invites, join, leave.
import type { WASocket } from '@whiskeysockets/baileys'
import { AppError } from '../errors.ts'
import { upstream } from './commands.ts'
import { groupRecord } from './group-records.ts'
import type { GroupRecord, ParticipantRecord } from './records.ts'

export type FullGroup = GroupRecord & { participants: ParticipantRecord[] }
export type GroupChange = {
  subject?: string
  description?: string
  announce?: boolean
  locked?: boolean
  ephemeralSeconds?: number
}

function full(meta: Parameters<typeof groupRecord>[0] | undefined, what: string): FullGroup {
  const g = meta ? groupRecord(meta) : null
  if (!g?.participants) throw new AppError('upstream_error', `${what} returned no group`)
  return g as FullGroup
}

export const groupMetadata = async (sock: WASocket, jid: string): Promise<FullGroup> =>
  full(await upstream('group metadata', () => sock.groupMetadata(jid)), 'group metadata')

export const groupCreate = async (sock: WASocket, subject: string, participants: string[]): Promise<FullGroup> =>
  full(await upstream('group create', () => sock.groupCreate(subject, participants)), 'group create')

/** Applies each given field with its own IQ, in a fixed order; stops at the first refusal. */
export async function groupUpdate(sock: WASocket, jid: string, c: GroupChange): Promise<void> {
  if (c.subject !== undefined) await upstream('group subject', () => sock.groupUpdateSubject(jid, c.subject!))
  if (c.description !== undefined)
    await upstream('group description', () => sock.groupUpdateDescription(jid, c.description || undefined))
  if (c.announce !== undefined)
    await upstream('group setting', () =>
      sock.groupSettingUpdate(jid, c.announce ? 'announcement' : 'not_announcement'),
    )
  if (c.locked !== undefined)
    await upstream('group setting', () => sock.groupSettingUpdate(jid, c.locked ? 'locked' : 'unlocked'))
  if (c.ephemeralSeconds !== undefined)
    await upstream('group timer', () => sock.groupToggleEphemeral(jid, c.ephemeralSeconds!))
}

/** WhatsApp answers per participant; Baileys passes each code through as a string ('200' when accepted). */
export async function groupParticipants(
  sock: WASocket,
  jid: string,
  participants: string[],
  action: 'add' | 'remove' | 'promote' | 'demote',
): Promise<{ jid: string; status: number; lid: string | null; pn: string | null }[]> {
  const answers = await upstream(`group ${action}`, () => sock.groupParticipantsUpdate(jid, participants, action))
  return answers.map((a) => {
    const attrs = (a.content?.attrs ?? {}) as Record<string, string | undefined>
    return {
      jid: a.jid ?? '',
      status: Number(a.status) || 500,
      lid: attrs.lid ?? (a.jid?.endsWith('@lid') ? a.jid : null),
      pn: attrs.phone_number ?? (a.jid?.endsWith('@s.whatsapp.net') ? a.jid : null),
    }
  })
}

export async function groupInviteCode(sock: WASocket, jid: string, revoke: boolean): Promise<string> {
  const code = await upstream(revoke ? 'invite revoke' : 'invite code', () =>
    revoke ? sock.groupRevokeInvite(jid) : sock.groupInviteCode(jid),
  )
  if (!code) throw new AppError('upstream_error', 'WhatsApp returned no invite code')
  return code
}

export async function groupJoin(sock: WASocket, code: string): Promise<string> {
  const jid = await upstream('group join', () => sock.groupAcceptInvite(code))
  if (!jid) throw new AppError('upstream_error', 'WhatsApp returned no group for the invite')
  return jid.includes('@') ? jid : `${jid}@g.us`
}

export const groupLeave = (sock: WASocket, jid: string) => upstream('group leave', () => sock.groupLeave(jid))
