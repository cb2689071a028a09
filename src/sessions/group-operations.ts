// Group operations on a connected session: each WhatsApp answer is stored (with its events) before returning.
import { participantResult, type GroupPatch, type ParticipantResult } from '../domain/group.ts'
import { toJid } from '../domain/jid.ts'
import type { WaSocket } from '../whatsapp/socket.ts'
import type { SessionEngine } from './engine.ts'
import type { EngineIngest } from './engine-store.ts'

type GroupOperations = Pick<
  SessionEngine,
  'createGroup' | 'refreshGroup' | 'updateGroup' | 'groupParticipants' | 'groupInvite' | 'joinGroup' | 'leaveGroup'
>

const INVITE_URL = 'https://chat.whatsapp.com/'

export function createGroupOperations(deps: {
  ingest: EngineIngest
  connectedSock(sessionId: string): WaSocket
}): GroupOperations {
  const { ingest, connectedSock } = deps
  const actorOf = (sock: WaSocket) => sock.me().jid ?? sock.me().lid

  return {
    async createGroup(sessionId, input) {
      const sock = connectedSock(sessionId)
      const group = await sock.groupCreate(input.subject, input.participants.map(toJid))
      await ingest.accepted(sessionId, { group })
      return { jid: group.jid }
    },
    async refreshGroup(sessionId, jid) {
      const group = await connectedSock(sessionId).groupMetadata(jid)
      await ingest.accepted(sessionId, { group })
    },
    async updateGroup(sessionId, jid, patch: GroupPatch) {
      const sock = connectedSock(sessionId)
      // One IQ per setting: what WhatsApp accepted before a refusal is stored, the rest is not.
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue
        await sock.groupUpdate(jid, { [key]: value })
        await ingest.accepted(sessionId, { group: { jid, [key]: key === 'description' ? value || null : value } })
      }
    },
    async groupParticipants(sessionId, jid, action, participants): Promise<ParticipantResult[]> {
      const sock = connectedSock(sessionId)
      const asked = participants.map(toJid)
      const answers = await sock.groupParticipants(jid, asked, action)
      const done = answers.filter((a) => a.status === 200)
      if (done.length) {
        const admin = action === 'promote' ? ('admin' as const) : null
        await ingest.accepted(sessionId, {
          participants: {
            groupJid: jid,
            action,
            participants: done.map((a) => ({ jid: a.jid, lid: a.lid, pn: a.pn, admin })),
            actor: actorOf(sock),
          },
        })
      }
      // Report per asked participant; WhatsApp may answer a PN with the member's LID (and the PN as an attribute).
      return asked.map((want) => {
        const a = answers.find((x) => x.jid === want || x.pn === want || x.lid === want)
        return a ? participantResult(want, a.status) : { jid: want, status: 500, error: 'no_answer' }
      })
    },
    async groupInvite(sessionId, jid, revoke) {
      const code = await connectedSock(sessionId).groupInviteCode(jid, revoke)
      return { code, url: INVITE_URL + code }
    },
    async joinGroup(sessionId, code) {
      const sock = connectedSock(sessionId)
      const jid = await sock.groupJoin(code.startsWith(INVITE_URL) ? code.slice(INVITE_URL.length) : code)
      // The join happened; its metadata is a nicety the w:gp2 notification or a refresh also brings.
      const group = await sock.groupMetadata(jid).catch(() => null)
      await ingest.accepted(sessionId, { group: group ?? { jid } })
      return { jid }
    },
    async leaveGroup(sessionId, jid) {
      const sock = connectedSock(sessionId)
      await sock.groupLeave(jid)
      const me = sock.me()
      const self = { jid: (me.lid ?? me.jid)!, lid: me.lid, pn: me.jid, admin: null }
      await ingest.accepted(sessionId, {
        participants: { groupJid: jid, action: 'remove', participants: [self], actor: actorOf(sock) },
      })
    },
  }
}
