// Store ingest: message batches through the real ingest path (src/sessions/ingest.ts: one immediate transaction per
// batch, insert-or-ignore, chat bump, and for live messages the outbox event) against the ceiling of a raw prepared
// INSERT of the same rows, the same batch size, into the same schema on a fresh file, the two interleaved chunk by
// chunk so the machine's load weighs on both alike. Live messages also get a second ceiling: the same three rows
// per message (message, event, chat) written by raw statements.
//   bun scripts/bench/ingest.ts [--rows 100000] [--batch 200] [--chats 1000] [--chunk 2000]
// Each variant gets its own fresh database file (WAL, synchronous=NORMAL, as the gateway opens it).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIngest } from '../../src/sessions/ingest.ts'
import { dedupeKey } from '../../src/sessions/ingest-steps.ts'
import { openDb } from '../../src/store/db.ts'
import { createEventStore } from '../../src/store/events.ts'
import { createStores } from '../../src/store/index.ts'
import { emptyBatch, type MessageRecord } from '../../src/whatsapp/records.ts'
import { arg, fmt, ratioRow, report } from './lib.ts'

const ROWS = arg('rows', 100_000)
const BATCH = arg('batch', 200)
const CHATS = arg('chats', 1000)
const CHUNK = arg('chunk', 2000)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-ingest-'))
const t = 1_750_000_000_000
// WhatsApp ids are random hex, so inserts land at random places in the unique index, as in production.
const records: MessageRecord[] = Array.from({ length: ROWS }, (_, i) => {
  const chat = `${6281200000000 + (i % CHATS)}@s.whatsapp.net`
  return {
    chatJid: chat,
    waId: `3EB0${randomBytes(8).toString('hex').toUpperCase()}`,
    serverId: null,
    fromMe: false,
    senderJid: chat,
    senderLid: null,
    senderName: 'Contact',
    type: 'text',
    body: `message ${i} `.padEnd(100, 'x'),
    media: null,
    mentions: [],
    mentionNames: {},
    quotedId: null,
    status: 'delivered',
    timestamp: t + i,
    undecryptable: false,
  }
})

function fresh(name: string) {
  const db = openDb(join(dir, `${name}.db`))
  const stores = createStores(db, randomBytes(32))
  stores.orgs.create('bench')
  const sid = stores.sessions.create({ orgId: 'bench', name: 'bench' }).id
  return { db, sid }
}

type Writer = { write: (batch: MessageRecord[]) => void; done: () => void }
type Rate = { rate: number; cpuUs: number }

const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/**
 * Rows per second (and CPU µs per row) of two writers over all records, interleaved: CHUNK rows through one, the
 * same rows through the other (who goes first alternates), one call per batch. A shared machine's load then
 * weighs on both alike; run one after the other, a load change between them moved the ratio by more than ±0.2.
 */
function paired(a: Writer, b: Writer): [Rate, Rate] {
  const wall = [0, 0]
  const cpu = [0, 0]
  const sides = [a, b]
  for (let i = 0, n = 0; i < ROWS; i += CHUNK, n++) {
    const chunk = records.slice(i, i + CHUNK)
    for (const k of n % 2 ? [1, 0] : [0, 1]) {
      const [t0, c0] = [performance.now(), cpuUs()]
      for (let j = 0; j < chunk.length; j += BATCH) sides[k]!.write(chunk.slice(j, j + BATCH))
      wall[k]! += performance.now() - t0
      cpu[k]! += cpuUs() - c0
    }
  }
  a.done()
  b.done()
  return [0, 1].map((k) => ({ rate: ROWS / (wall[k]! / 1000), cpuUs: cpu[k]! / ROWS })) as [Rate, Rate]
}

function raw(): Writer {
  const { db, sid } = fresh('raw')
  const insert = db.sqlite.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, server_id, from_me, sender_jid, sender_lid, sender_name, type,
       body, media, mentions, mention_names, quoted_id, status, ack_level, error, edited, deleted, timestamp, created_at)
     VALUES (?, ?, ?, NULL, 0, ?, NULL, ?, ?, ?, NULL, '[]', '{}', NULL, ?, 2, NULL, 0, 0, ?, ?)`,
  )
  const tx = db.sqlite.transaction((b: MessageRecord[]) => {
    const now = Date.now()
    for (const r of b)
      insert.run(sid, r.chatJid, r.waId, r.senderJid, r.senderName, r.type, r.body, r.status, r.timestamp, now)
  })
  return { write: (b) => tx.immediate(b), done: () => db.close() }
}

/**
 * The live path's own ceiling: the same three writes per message (message row, outbox event with its JSON and dedupe
 * key, chat upsert) as raw prepared statements, none of the ingest code's reads, RETURNING or mapping.
 */
function rawLive(): Writer {
  const { db, sid } = fresh('raw-live')
  const msg = db.sqlite.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, server_id, from_me, sender_jid, sender_lid, sender_name, type,
       body, media, mentions, mention_names, quoted_id, status, ack_level, error, edited, deleted, timestamp, created_at)
     VALUES (?, ?, ?, NULL, 0, ?, NULL, ?, ?, ?, NULL, '[]', '{}', NULL, ?, 2, NULL, 0, 0, ?, ?)`,
  )
  const evt = db.sqlite.query(
    `INSERT INTO events (id, type, created_at, org_id, session_id, data, dedupe_key)
     VALUES (?, 'message.received', ?, 'bench', ?, ?, ?)`,
  )
  const chat = db.sqlite.query(
    `INSERT INTO chats (session_id, jid, type, unread_count, last_message_at, created_at, updated_at)
     VALUES (?1, ?2, 'dm', 1, ?3, ?4, ?4) ON CONFLICT (session_id, jid) DO UPDATE
     SET unread_count = unread_count + 1, last_message_at = max(last_message_at, ?3), updated_at = ?4`,
  )
  let seq = 0
  const tx = db.sqlite.transaction((b: MessageRecord[]) => {
    const now = Date.now()
    for (const r of b) {
      msg.run(sid, r.chatJid, r.waId, r.senderJid, r.senderName, r.type, r.body, r.status, r.timestamp, now)
      const data = JSON.stringify({ ...r, sessionId: sid, id: ++seq })
      evt.run(`evt_${now}${seq}`, now, sid, data, dedupeKey('message.received', r.timestamp, sid, r.chatJid, r.waId))
      chat.run(sid, r.chatJid, r.timestamp, now)
    }
  })
  return { write: (b) => tx.immediate(b), done: () => db.close() }
}

function ours(live: boolean): Writer {
  const { db, sid } = fresh(live ? 'live' : 'history')
  const ingest = createIngest({ db, events: createEventStore(db) })
  return {
    write: (b) => ingest.batch(sid, { ...emptyBatch(), messages: b.map((record) => ({ record, live })) }),
    done() {
      const n = db.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM messages').get()!.n
      if (n !== ROWS) throw new Error(`ingest stored ${n} of ${ROWS} rows`)
      db.close()
    },
  }
}

try {
  // Each of our paths runs interleaved with its ceiling (`paired`); the raw side goes first in the first chunk, so JIT
  // warm-up and a cold page cache weigh on it less, never more, than on ours.
  const [ceiling, history] = paired(raw(), ours(false))
  const [liveCeiling, live] = paired(rawLive(), ours(true))
  const f = (x: Rate) => `${Math.round(x.rate).toLocaleString('en')} rows/s (${x.cpuUs.toFixed(1)} µs CPU/row)`
  const r = (x: Rate, c: Rate) => (x.rate / c.rate).toFixed(2)
  console.log(
    `rows ${ROWS}, batch ${BATCH}, ${CHATS} chats, 100-byte bodies, random wa ids, chunks of ${CHUNK} alternated`,
  )
  console.log(`raw prepared INSERT (ceiling): ${f(ceiling)}`)
  console.log(`ingest, history (no events):   ${f(history)} = ${r(history, ceiling)} of the ceiling`)
  console.log(`ingest, live (+ chat, event):  ${f(live)} = ${r(live, ceiling)} of the ceiling`)
  console.log(
    `raw message + event + chat writes (live ceiling): ${f(liveCeiling)}; live ingest = ${r(live, liveCeiling)} of it`,
  )
  console.log(`command: bun scripts/bench/ingest.ts --rows ${ROWS} --batch ${BATCH} --chats ${CHATS} --chunk ${CHUNK}`)
  const row = (label: string, x: Rate, c: Rate, what: string) =>
    ratioRow({
      metric: `store ingest: ${label}, batches of ${BATCH}`,
      measured: `${fmt(x.rate)} rows/s`,
      ceiling: `${fmt(c.rate)} rows/s (${what})`,
      ratio: x.rate / c.rate,
      min: 0.8,
    })
  const cpu = (x: Rate) => Number(x.cpuUs.toFixed(1))
  report([
    {
      ...row('history messages', history, ceiling, 'raw INSERT'),
      data: {
        rows: ROWS,
        batch: BATCH,
        chunk: CHUNK,
        ceiling: ceiling.rate,
        history: history.rate,
        cpuUsPerRow: { ceiling: cpu(ceiling), history: cpu(history) },
      },
    },
    row('live messages (+ chat, event)', live, ceiling, 'raw INSERT of the messages alone'),
    {
      ...row('live messages (+ chat, event)', live, liveCeiling, 'raw message + event + chat writes'),
      data: {
        live: live.rate,
        liveCeiling: liveCeiling.rate,
        cpuUsPerRow: { live: cpu(live), liveCeiling: cpu(liveCeiling) },
      },
    },
  ])
} finally {
  rmSync(dir, { recursive: true, force: true })
}
