// The read benchmark's database: 100k chats with 1M messages between them, plus one chat and one channel of
// LONG messages each (the two message listings walk those); every seventh person a contact with a LID.
import { createKey } from '../../src/bootstrap.ts'
import { openDb } from '../../src/store/db.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'

export const LONG = 20_000
export const bigChat = '6281999000001@s.whatsapp.net'
export const channel = '120363999000000001@newsletter'

export async function seed(path: string, secret: Uint8Array, nChats: number, nMessages: number) {
  const db = openDb(path)
  const stores = createStores(db, secret)
  stores.orgs.create('bench')
  const sid = stores.sessions.create({ orgId: 'bench', name: 'bench' }).id
  const key = (await createKey(sqliteRepos(stores), { orgId: 'bench', name: 'bench', capabilities: ['read', 'send'] }))
    .key
  const chat = db.sqlite.query(
    `INSERT INTO chats (session_id, jid, type, name, unread_count, pinned_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const contact = db.sqlite.query(`INSERT INTO contacts (session_id, jid, lid, notify) VALUES (?, ?, ?, ?)`)
  const msg = db.sqlite.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, type, body, status, ack_level, timestamp)
     VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', 3, ?)`,
  )
  const perChat = Math.ceil(nMessages / nChats)
  let written = 0
  const write = (jid: string, at: number) =>
    msg.run(
      sid,
      jid,
      `3EB0${written.toString(16).padStart(16, '0')}`,
      written % 3 === 0 ? 1 : 0,
      jid,
      `message ${written++} body text`,
      at,
    )
  db.sqlite.transaction(() => {
    for (let i = 0; i < nChats; i++) {
      const jid = `${62_800_000_000 + i}@s.whatsapp.net`
      const at = 1_700_000_000_000 + ((i * 7919) % 1_000_000) * 1000
      // Every tenth chat has no name of its own: the listing falls back to the contact's name, when there is one.
      chat.run(sid, jid, 'dm', i % 10 ? `Chat ${i}` : null, i % 5, i % 1000 === 0 ? at : 0, at)
      // Every seventh person is a known contact with a LID: the listing shows it (and its name where the chat has none).
      if (i % 7 === 0) contact.run(sid, jid, `${90_000_000_000 + i}@lid`, `Contact ${i}`)
      for (let m = 0; m < perChat && written < nMessages; m++) write(jid, at - m * 1000)
    }
    chat.run(sid, bigChat, 'dm', 'Long chat', 0, 0, 1_700_000_000_000)
    chat.run(sid, channel, 'channel', 'Channel', 0, 0, 1_700_000_000_000)
    for (let m = 0; m < LONG; m++) write(bigChat, 1_700_000_000_000 - m * 1000)
    for (let m = 0; m < LONG; m++) write(channel, 1_700_000_000_000 - m * 1000)
  })()
  db.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
  db.sqlite.run('ANALYZE')
  db.close()
  return { sid, key }
}
