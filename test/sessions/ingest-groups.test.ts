// Ingest of Baileys group, presence, chat-delete and block-list events: state changes once, events once.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import type { Ingest } from '../../src/sessions/ingest.ts'
import type { Db } from '../../src/store/db.ts'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, eventsOf, freshIngest, me } from './fixture.ts'

let db: Db
let ingest: Ingest
const G = '120363000000000009@g.us'
const CAROL = { pn: '15550000003@s.whatsapp.net', lid: '900000000003@lid' }

beforeEach(() => void ({ db, ingest } = freshIngest()))
afterEach(() => db.close())

const apply = (events: Partial<BaileysEventMap>) => ingest.batch('s', toBatch(events, me))
const events = (type: string) => eventsOf(db, type)
const members = () =>
  db.sqlite.query<Record<string, any>, []>('SELECT jid, lid, pn, admin FROM group_participants ORDER BY rowid').all()

const metadata = {
  id: G,
  subject: 'Team',
  owner: me.jid,
  creation: 1_700_000_000,
  addressingMode: 'pn',
  announce: false,
  restrict: false,
  participants: [
    { id: me.jid, admin: 'superadmin' as const },
    { id: BOB, admin: null },
  ],
} as const

it('stores full metadata once and raises group.updated only when something changed', () => {
  apply({ 'groups.upsert': [metadata as any] })
  apply({ 'groups.update': [metadata as any] })
  expect(events('group.updated')).toHaveLength(1)
  expect(members()).toEqual([
    { jid: me.jid, lid: null, pn: me.jid, admin: 'superadmin' },
    { jid: BOB, lid: null, pn: BOB, admin: null },
  ])
  apply({ 'groups.update': [{ id: G, subject: 'Team 2', author: me.jid }] })
  expect(events('group.updated').map((g) => g.subject)).toEqual(['Team', 'Team 2'])
})

it('applies add, promote, demote and remove, each event naming only members really changed', () => {
  apply({ 'groups.upsert': [metadata as any] })
  const change = (action: 'add' | 'remove' | 'promote' | 'demote', ids: object[]) =>
    apply({ 'group-participants.update': { id: G, author: me.jid, participants: ids as any, action } })
  change('add', [{ id: CAROL.lid, phoneNumber: CAROL.pn }])
  change('add', [{ id: CAROL.pn, lid: CAROL.lid }]) // the echo, naming her the other way
  change('promote', [{ id: CAROL.pn }])
  change('demote', [{ id: CAROL.lid }])
  change('remove', [{ id: CAROL.lid }])
  change('remove', [{ id: CAROL.lid }])
  const got = events('group.participants')
  expect(got.map((e) => e.action)).toEqual(['add', 'promote', 'demote', 'remove'])
  expect(got[0]).toEqual({
    groupJid: G,
    action: 'add',
    participants: [{ jid: CAROL.lid, lid: CAROL.lid, phone: '15550000003', admin: null }],
    actor: me.jid,
  })
  expect(got[1].participants[0].admin).toBe('admin')
  expect(members().map((m) => m.jid)).toEqual([me.jid, BOB])
})

it('fills the PN of a LID-only group sender from the stored mapping', () => {
  apply({ 'lid-mapping.update': { lid: CAROL.lid, pn: CAROL.pn } })
  apply({
    'messages.upsert': {
      type: 'notify',
      messages: [
        {
          key: { remoteJid: G, participant: CAROL.lid, id: 'M1', fromMe: false },
          messageTimestamp: 1_700_000_000,
          message: { conversation: 'hi' },
        },
      ],
    },
  })
  const row = db.sqlite.query<Record<string, any>, []>('SELECT sender_jid, sender_lid FROM messages').get()
  expect(row).toEqual({ sender_jid: CAROL.pn, sender_lid: CAROL.lid })
})

it('deletes a chat deleted on the phone with its messages, and raises chat.deleted', () => {
  apply({
    'messages.upsert': {
      type: 'notify',
      messages: [
        {
          key: { remoteJid: BOB, id: 'M2', fromMe: false },
          messageTimestamp: 1_700_000_000,
          message: { conversation: 'x' },
        },
      ],
    },
  })
  apply({ 'chats.delete': [BOB] })
  apply({ 'chats.delete': [BOB] })
  expect(db.sqlite.query('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 0 })
  expect(events('chat.deleted').map((c) => c.jid)).toEqual([BOB])
})

it('raises presence.updated for each presence and stores nothing', () => {
  apply({ 'presence.update': { id: BOB, presences: { [BOB]: { lastKnownPresence: 'composing' } } } })
  expect(events('presence.updated')).toEqual([{ chatJid: BOB, jid: BOB, presence: 'composing', lastSeen: null }])
})

it('marks a contact blocked from a block-list notification', () => {
  apply({ 'blocklist.update': { blocklist: [BOB], type: 'add' } })
  expect(db.sqlite.query('SELECT jid, blocked FROM contacts').all()).toEqual([{ jid: BOB, blocked: 1 }])
  apply({ 'blocklist.update': { blocklist: [BOB], type: 'remove' } })
  expect(db.sqlite.query('SELECT jid, blocked FROM contacts').all()).toEqual([{ jid: BOB, blocked: 0 }])
})
