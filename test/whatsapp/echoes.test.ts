// Echoes: the events Baileys emits for what the receipt hook already stored are dropped before ingest; a change the
// event buffer folded in after the hook passes.
import { describe, expect, it } from 'bun:test'
import { proto, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import { createEchoes } from '../../src/whatsapp/echoes.ts'
import { emptyBatch } from '../../src/whatsapp/records.ts'

const BOB = '15550000002@s.whatsapp.net'
const message = (id: string, fromMe: boolean) => <WAMessage>proto.WebMessageInfo.fromObject({
    key: { remoteJid: BOB, fromMe, id },
    messageTimestamp: 1_700_000_000,
    message: { conversation: 'hi' },
  })
const upsert = (type: 'append' | 'notify', ...messages: WAMessage[]): Partial<BaileysEventMap> => ({
  'messages.upsert': { type, messages },
})
const ids = (events: Partial<BaileysEventMap>) => events['messages.upsert']?.messages.map((m) => m.key.id) ?? []

describe('echoes of what the receipt hook stored', () => {
  it('drops the later upsert of a message the hook stored, and keeps it once the buffer folded a change in', () => {
    const echoes = createEchoes()
    const m = message('R1', false)
    echoes.stored(m, emptyBatch(), null)
    expect(echoes.filter(upsert('notify', m))).toEqual({})
    m.status = proto.WebMessageInfo.Status.READ
    expect(ids(echoes.filter(upsert('notify', m)))).toEqual(['R1'])
  })
})
