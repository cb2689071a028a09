// Inserts stored-copy rows directly, for read-path tests and benchmarks.
import type { Database } from 'bun:sqlite'

export function seedChats(
  sqlite: Database,
  sessionId: string,
  n: number,
  opts: { start?: number; pinnedEvery?: number; at?: (i: number) => number } = {},
) {
  const insert = sqlite.query(
    `INSERT INTO chats (session_id, jid, type, name, unread_count, pinned_at, last_message_at)
     VALUES (?, ?, 'dm', ?, ?, ?, ?)`,
  )
  const start = opts.start ?? 0
  sqlite.transaction(() => {
    for (let i = start; i < start + n; i++) {
      const pinned = opts.pinnedEvery && i % opts.pinnedEvery === 0 ? 1_700_000_000_000 + i : 0
      const at = opts.at ? opts.at(i) : 1_700_000_000_000 + (i % 997) * 1000
      insert.run(sessionId, `${62_800_000_000 + i}@s.whatsapp.net`, `Chat ${i}`, i % 5, pinned, at)
    }
  })()
}

export function seedMessages(
  sqlite: Database,
  sessionId: string,
  chatJid: string,
  n: number,
  startTs = 1_700_000_000_000,
) {
  const insert = sqlite.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, type, body, status, ack_level, timestamp)
     VALUES (?, ?, ?, 0, ?, 'text', ?, 'delivered', 3, ?)`,
  )
  sqlite.transaction(() => {
    for (let i = 0; i < n; i++)
      insert.run(
        sessionId,
        chatJid,
        `3EB0${i.toString(16).padStart(16, '0')}`,
        chatJid,
        `post ${i}`,
        startTs + i * 1000,
      )
  })()
}
