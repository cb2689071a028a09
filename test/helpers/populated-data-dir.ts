// A SQLite data dir filled through the gateway's own store functions: every table holds rows, WhatsApp auth
// state sealed as the gateway seals it, and the media files its rows record in <dir>/media. For migrate-to-postgres
// tests.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { mintKey } from './keys.ts'
import { createSealer } from '../../src/domain/sealer.ts'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql } from '../../src/store/auth-state-sql.ts'
import { openDb } from '../../src/store/db.ts'
import { createGroupSql } from '../../src/store/groups-sql.ts'
import { createStores } from '../../src/store/index.ts'
import { createIngestSql } from '../../src/store/ingest-sql.ts'
import { createMediaSql } from '../../src/store/media-sql.ts'
import { createOutboundQueue } from '../../src/store/outbound.ts'
import { createSessionAuth } from '../../src/whatsapp/auth-state.ts'

export type Populated = {
  secretKey: Buffer
  sessionIds: string[]
  messages: number
  events: number
  /** The stored media files (one per session), by SHA-256. */
  media: Map<string, Buffer>
}

const T = 1_764_000_000_000

/** Fills `<dir>/wagate.db` (and `<dir>/secret.key`) with `messages` messages per session, among the rest. */
export async function populateDataDir(dir: string, opts: { messages?: number } = {}): Promise<Populated> {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const secretKey = randomBytes(32)
  writeFileSync(join(dir, 'secret.key'), secretKey.toString('hex') + '\n', { mode: 0o600 })
  const db = openDb(join(dir, 'wagate.db'))
  const stores = createStores(db, secretKey)
  const ingest = createIngestSql(db)
  const mediaSql = createMediaSql(db)
  const groupSql = createGroupSql(db)
  const sealer = createSealer(secretKey)
  const perSession = opts.messages ?? 40
  const media = new Map<string, Buffer>()

  stores.orgs.create('acme', 'Acme')
  stores.orgs.create('beta', 'Beta')
  mintKey(stores, { orgId: 'acme', name: 'ops', capabilities: ['read', 'send', 'manage'] })
  mintKey(stores, { orgId: 'beta', name: 'bot', capabilities: ['read'], expiresAt: T + 86_400_000 })
  const sessions = [
    stores.sessions.create({ orgId: 'acme', name: 'sales', metadata: { team: 'emea' } }),
    stores.sessions.create({ orgId: 'acme', name: 'support' }),
    stores.sessions.create({ orgId: 'beta', name: 'main' }),
  ]
  stores.sessions.setLive(sessions[0]!.id, {
    status: 'connected',
    desiredState: 'running',
    phone: '628111',
    jid: '628111@s.whatsapp.net',
    pushName: 'Sales',
    connectedAt: T,
  })

  for (const s of sessions) {
    const auth = createSessionAuth({
      sessionId: s.id,
      sql: createAuthStateSql(db),
      sealer,
      logger: createLogger('silent'),
    })
    const socket = await auth.forSocket(() => true)
    socket.saveCreds()
    await socket.state.keys.set({
      'pre-key': { '1': { public: randomBytes(32), private: randomBytes(32) } },
      session: { '628222.0': randomBytes(64) },
    })
    auth.close()
  }

  let events = 0
  for (const [i, s] of sessions.entries()) {
    const chat = `62822${i}@s.whatsapp.net`
    ingest.upsertChat.get(s.id, chat, 'dm', `Chat ${i}`, 2, 0, i === 0 ? T : 0, null, T + perSession, T)
    ingest.upsertChat.get(s.id, `1203630${i}@g.us`, 'group', 'Team', 0, 1, 0, T + 3_600_000, T, T)
    for (let m = 0; m < perSession; m++) {
      const row = ingest.insertMessage({
        session_id: s.id,
        chat_jid: chat,
        wa_id: `3EB0${i}${String(m).padStart(8, '0')}`,
        server_id: null,
        from_me: m % 3 === 0 ? 1 : 0,
        sender_jid: m % 3 === 0 ? null : chat,
        sender_lid: null,
        sender_name: m % 3 === 0 ? null : `Sender ${i}`,
        type: m === 1 ? 'image' : m === 2 ? 'poll' : 'text',
        body: `message ${m} of ${s.name} – ünïcödé ✓`,
        media: m === 1 ? JSON.stringify({ status: 'stored', mimetype: 'image/jpeg' }) : null,
        mentions: '[]',
        mention_names: '{}',
        quoted_id: null,
        status: 'delivered',
        ack_level: 3,
        error: null,
        edited: m === 4 ? 1 : 0,
        deleted: m === 5 ? 1 : 0,
        location: null,
        contacts: null,
        poll: m === 2 ? JSON.stringify({ name: 'Lunch?', options: ['a', 'b'] }) : null,
        timestamp: T + m * 1000,
        created_at: T + m * 1000,
      })!
      if (m === 1) {
        const bytes = randomBytes(12_345)
        const sha = createHash('sha256').update(bytes).digest('hex')
        mkdirSync(join(dir, 'media', sha.slice(0, 2)), { recursive: true })
        writeFileSync(join(dir, 'media', sha.slice(0, 2), sha), bytes)
        media.set(sha, bytes)
        stores.media.added(sha, 12_345, { sessionId: s.id, owner: `message:${row.pk}` }, T)
        mediaSql.insertJob.run({
          message_pk: row.pk,
          session_id: s.id,
          kind: 'image',
          media_key: randomBytes(32),
          direct_path: '/v/t62/abc',
          url: null,
          file_sha256: sha,
          file_enc_sha256: randomBytes(32).toString('hex'),
          size: 12_345,
          status: 'stored',
          next_attempt_at: 0,
          updated_at: T,
        })
      }
      if (m === 2) {
        mediaSql.upsertPoll.run(row.pk, randomBytes(32), JSON.stringify(['a', 'b']))
        mediaSql.upsertVote.run(row.pk, chat, JSON.stringify(['b']), T + 5000)
      }
    }
    ingest.upsertContact.run(s.id, chat, `9${i}@lid`, `Contact ${i}`, 'notify', null, T)
    ingest.upsertChannel.get(s.id, `1203631${i}@newsletter`, 'News', 'Daily', 'subscriber', 1, 0, T, T)
    groupSql.upsertGroup.get({
      session_id: s.id,
      jid: `1203630${i}@g.us`,
      subject: 'Team',
      description: 'desc',
      description_id: 'd1',
      owner: chat,
      owner_pn: chat,
      wa_created_at: T,
      announce: 1,
      locked: 0,
      ephemeral_seconds: 86_400,
      addressing_mode: 'pn',
      synced_at: T,
      now: T,
    })
    groupSql.upsertParticipant.run(s.id, `1203630${i}@g.us`, chat, null, chat, 'superadmin')
    createOutboundQueue(db).add(s.id, chat, `3EB0Q${i}`, { kind: 'text', text: 'queued', linkPreview: false }, T)
    stores.media.createUpload({
      id: `med_${i}`,
      sessionId: s.id,
      sha256: randomBytes(32).toString('hex'),
      mimetype: 'application/pdf',
      size: 999,
      filename: 'invoice.pdf',
      createdAt: T,
    })
    stores.events.transaction((append) => {
      for (let e = 0; e < perSession; e++)
        if (append({ type: 'message.received', orgId: s.orgId, sessionId: s.id, data: { n: e } })) events++
    })
  }
  stores.idempotency.put('acme', 'POST /messages', 'key-1', { bodyHash: 'h', status: 202, response: '{"ok":true}' }, T)
  const hook = stores.webhooks.create('acme', { url: 'https://hooks.example/x', events: ['*'] }, 'whsec_test_secret')
  stores.deliveries.fanOut({ id: hook.id, orgId: 'acme', hwm: 0 }, () => true, 10_000)
  await db.close()
  return { secretKey, sessionIds: sessions.map((s) => s.id), messages: perSession, events, media }
}
