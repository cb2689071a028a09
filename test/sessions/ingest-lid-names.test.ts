// A reaction or a poll vote whose key names its author by LID alone (a LID-addressed group member or a contact
// writing from its LID, with no phone number alongside): named by phone number once the PN↔LID mapping is stored,
// as the sender of a message is, and by the LID before.
import { describe, expect, it } from 'bun:test'
import { proto, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import { encryptVote } from '../../src/simulator/poll.ts'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, eventsOf, type Harness, me, useIngest } from './fixture.ts'

let h: Harness
const G = '120363000000000007@g.us'
const CAROL = { pn: '15550000003@s.whatsapp.net', lid: '900000000003@lid' }
const SECRET = Buffer.alloc(32, 7)

const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
const upsert = (...messages: object[]) =>
  apply({
    'messages.upsert': {
      messages: messages.map(
        (m) => <WAMessage>proto.WebMessageInfo.fromObject({ messageTimestamp: 1_700_000_000, ...m }),
      ),
      type: 'notify',
    },
  })
const fromCarol = (id: string) => ({ remoteJid: G, fromMe: false, id, participant: CAROL.lid })
const learnCarol = () => apply({ 'lid-mapping.update': { lid: CAROL.lid, pn: CAROL.pn } as any })

/** Bob's poll `id` in the group, and Carol's vote on it, encrypted under her LID. */
async function pollAndVote(id: string, option: string) {
  await upsert({
    key: { remoteJid: G, fromMe: false, id, participant: BOB },
    message: {
      pollCreationMessageV3: { name: 'Q?', options: [{ optionName: 'A' }, { optionName: 'B' }] },
      messageContextInfo: { messageSecret: SECRET },
    },
  })
  const vote = encryptVote({ secret: SECRET, creatorJid: BOB, options: ['A', 'B'] }, id, CAROL.lid, [option])
  await upsert({
    key: fromCarol(`V${id}`),
    message: {
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: G, fromMe: false, id, participant: BOB },
        vote,
        senderTimestampMs: 1_700_000_001_000,
      },
    },
  })
}

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it('names a reactor known by LID alone by phone number once the mapping is known', async () => {
    await upsert({ key: { remoteJid: G, fromMe: false, id: 'M', participant: BOB }, message: { conversation: 'hi' } })
    const react = (id: string, text: string, at: number) =>
      apply({
        'messages.reaction': [
          {
            key: { remoteJid: G, fromMe: false, id: 'M', participant: BOB },
            reaction: { key: fromCarol(id), text, senderTimestampMs: at },
          },
        ],
      })
    await react('R1', '👍', 1_700_000_001_000)
    await learnCarol()
    await react('R2', '🎉', 1_700_000_002_000)
    expect((await eventsOf(h, 'message.reaction')).map((e) => [e.reactor, e.reaction])).toEqual([
      [CAROL.lid, '👍'],
      [CAROL.pn, '🎉'],
    ])
  })

  it('names a voter known by LID alone by phone number once the mapping is known', async () => {
    await pollAndVote('P1', 'A')
    await learnCarol()
    await pollAndVote('P2', 'B')
    expect((await eventsOf(h, 'poll.vote')).map((e) => [e.message.id, e.voter, e.options])).toEqual([
      ['P1', CAROL.lid, ['A']],
      ['P2', CAROL.pn, ['B']],
    ])
    const tally = await h.one("SELECT poll FROM messages WHERE wa_id = 'P2'")
    expect(JSON.parse(tally!.poll as string).options).toEqual([
      { name: 'A', votes: 0, voters: [] },
      { name: 'B', votes: 1, voters: [CAROL.pn] },
    ])
  })
})
