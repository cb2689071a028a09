// What the receipt hook writes for one decrypted text, for the store-side inbound benches (inbound-store.ts on SQLite,
// inbound-store-pg.ts on PostgreSQL): the batch socket.ts builds and the ~1 KB sealed Signal session its decrypt
// advanced.
import { randomBytes } from 'node:crypto'
import type { WAMessage } from '@whiskeysockets/baileys'
import type { KeyWrites } from '../../src/store/auth-state-sql.ts'
import { receivedBatch } from '../../src/whatsapp/batch.ts'
import type { Batch } from '../../src/whatsapp/records.ts'

/** Sealed libsignal session records of the inbound bench's contacts were 972 bytes. */
const SESSION_BYTES = 972
let seq = 0

/** The hook's write for one text from session `s`'s contact, of `sessions` sessions receiving. */
export function inboundMessage(s: number, sessions: number): { batch: Batch; keys: KeyWrites } {
  const contact = `${6281300000000 + s}@s.whatsapp.net`
  const m = {
    key: { remoteJid: contact, fromMe: false, id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}` },
    message: { conversation: `bench message ${++seq}` },
    messageTimestamp: Math.floor(Date.now() / 1000),
    pushName: `Contact ${s}`,
  } as WAMessage
  const batch = receivedBatch(m, 'notify', { jid: `${6281100000000 + s}@s.whatsapp.net`, lid: null })
  // The sender's contact: echoes.ts adds it to the hook's batch the first time a socket sees its push name.
  if (seq <= 2 * sessions) batch.contacts.push({ jid: contact, lid: null, notify: `Contact ${s}` })
  const keys = { ops: [{ type: 'session', id: `${contact.split('@')[0]}.0`, value: randomBytes(SESSION_BYTES) }] }
  return { batch, keys: { ...keys, stored: false } }
}
