// Ingest of Baileys group, presence, chat-delete and block-list events: state changes once, events once.
import { describe, expect, it } from 'bun:test'
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, eventsOf, type Harness, me, useIngest } from './fixture.ts'

let h: Harness
const G = '120363000000000009@g.us'
const CAROL = { pn: '15550000003@s.whatsapp.net', lid: '900000000003@lid' }

const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
const events = (type: string) => eventsOf(h, type)
const members = async () => await h.all('SELECT jid, lid, pn, admin FROM group_participants ORDER BY position')

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

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it('stores full metadata once and raises group.updated only when something changed', async () => {
    await apply({ 'groups.upsert': [metadata as any] })
    await apply({ 'groups.update': [metadata as any] })
    expect(await events('group.updated')).toHaveLength(1)
    expect(await members()).toEqual([
      { jid: me.jid, lid: null, pn: me.jid, admin: 'superadmin' },
      { jid: BOB, lid: null, pn: BOB, admin: null },
    ])
    await apply({ 'groups.update': [{ id: G, subject: 'Team 2', author: me.jid }] })
    expect((await events('group.updated')).map((g) => g.subject)).toEqual(['Team', 'Team 2'])
  })

  it('applies add, promote, demote and remove, each event naming only members really changed', async () => {
    await apply({ 'groups.upsert': [metadata as any] })
    const change = (action: 'add' | 'remove' | 'promote' | 'demote', ids: object[]) =>
      apply({ 'group-participants.update': { id: G, author: me.jid, participants: ids as any, action } })
    await change('add', [{ id: CAROL.lid, phoneNumber: CAROL.pn }])
    await change('add', [{ id: CAROL.pn, lid: CAROL.lid }]) // the echo, naming her the other way
    await change('promote', [{ id: CAROL.pn }])
    await change('demote', [{ id: CAROL.lid }])
    await change('remove', [{ id: CAROL.lid }])
    await change('remove', [{ id: CAROL.lid }])
    const got = await events('group.participants')
    expect(got.map((e) => e.action)).toEqual(['add', 'promote', 'demote', 'remove'])
    expect(got[0]).toEqual({
      groupJid: G,
      action: 'add',
      participants: [{ jid: CAROL.lid, lid: CAROL.lid, phone: '15550000003', admin: null }],
      actor: me.jid,
    })
    expect(got[1].participants[0].admin).toBe('admin')
    expect((await members()).map((m) => m.jid)).toEqual([me.jid, BOB])
  })

  it('names the actor by phone number: from the change when it gives both ids, else from the stored mapping', async () => {
    await apply({ 'groups.upsert': [metadata as any] })
    const BOB_LID = '900000000002@lid'
    // A PN group: Baileys' `authorPn` is the key's alternate id, there the LID.
    await apply({
      'group-participants.update': {
        id: G,
        author: BOB,
        authorPn: BOB_LID,
        participants: [{ id: CAROL.pn }] as any,
        action: 'add',
      },
    })
    // Only a LID: unknown at first, then known from a LID-mapping event.
    const byLid = (action: 'promote' | 'demote') =>
      apply({ 'group-participants.update': { id: G, author: CAROL.lid, participants: [{ id: BOB }] as any, action } })
    await byLid('promote')
    await apply({ 'lid-mapping.update': { lid: CAROL.lid, pn: CAROL.pn } as any })
    await byLid('demote')
    expect((await events('group.participants')).map((e) => [e.action, e.actor])).toEqual([
      ['add', BOB],
      ['promote', CAROL.lid],
      ['demote', CAROL.pn],
    ])
  })

  it('keeps members in the order they were stored when one of them changes', async () => {
    await apply({ 'groups.upsert': [metadata as any] })
    const change = (action: 'add' | 'promote', ids: object[]) =>
      apply({ 'group-participants.update': { id: G, author: me.jid, participants: ids as any, action } })
    await change('add', [{ id: CAROL.pn }])
    await change('promote', [{ id: BOB }]) // rewrites Bob's row
    await apply({ 'groups.update': [{ id: G, subject: 'Team 2', author: me.jid }] })
    const [updated] = (await events('group.updated')).slice(-1)
    expect(updated.subject).toBe('Team 2')
    expect(updated.participants.map((p: { jid: string }) => p.jid)).toEqual([me.jid, BOB, CAROL.pn])
    expect((await members()).map((m) => m.jid)).toEqual([me.jid, BOB, CAROL.pn])
  })

  it('fills the PN of a LID-only group sender from the stored mapping', async () => {
    await apply({ 'lid-mapping.update': { lid: CAROL.lid, pn: CAROL.pn } })
    await apply({
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
    const row = await h.one('SELECT sender_jid, sender_lid FROM messages')
    expect(row).toEqual({ sender_jid: CAROL.pn, sender_lid: CAROL.lid })
  })

  it('deletes a chat deleted on the phone with its messages, and raises chat.deleted', async () => {
    await apply({
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
    await apply({ 'chats.delete': [BOB] })
    await apply({ 'chats.delete': [BOB] })
    expect(await h.one('SELECT count(*) AS n FROM messages')).toEqual({ n: 0 })
    expect((await events('chat.deleted')).map((c) => c.jid)).toEqual([BOB])
  })

  it('raises presence.updated for each presence and stores nothing', async () => {
    await apply({ 'presence.update': { id: BOB, presences: { [BOB]: { lastKnownPresence: 'composing' } } } })
    expect(await events('presence.updated')).toEqual([
      { chatJid: BOB, jid: BOB, presence: 'composing', lastSeen: null },
    ])
  })

  it('names a LID in presence.updated by its phone number once the mapping is known, and by the LID before', async () => {
    const typing = (id: string) =>
      apply({ 'presence.update': { id, presences: { [CAROL.lid]: { lastKnownPresence: 'composing' } } } })
    await typing(G)
    await typing(CAROL.lid)
    await apply({ 'lid-mapping.update': { lid: CAROL.lid, pn: CAROL.pn } as any })
    await typing(G)
    await typing(CAROL.lid)
    expect((await events('presence.updated')).map((e) => [e.chatJid, e.jid])).toEqual([
      [G, CAROL.lid],
      [CAROL.lid, CAROL.lid],
      [G, CAROL.pn],
      [CAROL.pn, CAROL.pn],
    ])
  })

  it('marks a contact blocked from a block-list notification', async () => {
    await apply({ 'blocklist.update': { blocklist: [BOB], type: 'add' } })
    expect(await h.all('SELECT jid, blocked FROM contacts')).toEqual([{ jid: BOB, blocked: 1 }])
    await apply({ 'blocklist.update': { blocklist: [BOB], type: 'remove' } })
    expect(await h.all('SELECT jid, blocked FROM contacts')).toEqual([{ jid: BOB, blocked: 0 }])
  })
})
