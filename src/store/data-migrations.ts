// Data migrations that need the secret key: run in code after the SQL migrations, each once, in a transaction,
// recorded in wagate_migrations under a `data/` name.
import type { Database } from 'bun:sqlite'
import { createDecipheriv, createHmac } from 'node:crypto'
import { createSealer, type Sealer } from '../domain/sealer.ts'
import { mergeKnownLidChats } from './chats-sql.ts'
import { cursorKeyOf } from './cursor.ts'
import { secretAad } from './webhooks.ts'

type DataMigration = { name: string; run(sqlite: Database, secretKey: Uint8Array, sealer: Sealer): void }

/**
 * Opens a webhook secret sealed the way wagate did before one sealer: `v1.<iv>.<tag>.<ct>` (base64url) under
 * HMAC(cursor key, 'wagate webhook secrets'), with no associated data. Read here only, to re-seal.
 */
function openLegacyWebhookSecret(secretKey: Uint8Array, sealed: string): string {
  const key = createHmac('sha256', cursorKeyOf(secretKey)).update('wagate webhook secrets').digest()
  const [v, iv, tag, ct] = sealed.split('.')
  if (v !== 'v1' || !iv || !tag || !ct) throw new Error('not a v1 webhook secret')
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  d.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8')
}

/** Re-seals v1 webhook secrets with the row's id as associated data. A value that does not open stays as it was. */
function resealWebhookSecrets(sqlite: Database, secretKey: Uint8Array, sealer: Sealer) {
  type Row = { id: string; secret: string; previous_secret: string | null }
  const rows = sqlite
    .query<Row, []>(
      "SELECT id, secret, previous_secret FROM webhooks WHERE secret LIKE 'v1.%' OR previous_secret LIKE 'v1.%'",
    )
    .all()
  const save = sqlite.query<null, [string, string | null, string]>(
    'UPDATE webhooks SET secret = ?, previous_secret = ? WHERE id = ?',
  )
  const reseal = (id: string, value: string | null) => {
    if (!value?.startsWith('v1.')) return value
    try {
      return sealer.sealText(openLegacyWebhookSecret(secretKey, value), secretAad(id))
    } catch {
      return value // sealed under another key: unreadable before, unreadable now (the dispatcher reports it)
    }
  }
  for (const r of rows) save.run(reseal(r.id, r.secret)!, reseal(r.id, r.previous_secret), r.id)
}

const dataMigrations: DataMigration[] = [
  { name: 'data/0001_reseal_webhook_secrets', run: resealWebhookSecrets },
  // Chats stored before one chat per person: a LID chat whose mapping is known joins the PN chat (no events).
  { name: 'data/0002_merge_lid_chats', run: (sqlite) => void mergeKnownLidChats(sqlite, Date.now()) },
]

/** Runs the data migrations not yet recorded; returns the names it ran. */
export function migrateData(sqlite: Database, secretKey: Uint8Array): string[] {
  const sealer = createSealer(secretKey)
  const done = new Set(
    sqlite
      .query<{ name: string }, []>("SELECT name FROM wagate_migrations WHERE name LIKE 'data/%'")
      .all()
      .map((r) => r.name),
  )
  const ran: string[] = []
  for (const m of dataMigrations) {
    if (done.has(m.name)) continue
    sqlite.transaction(() => {
      m.run(sqlite, secretKey, sealer)
      sqlite.run('INSERT INTO wagate_migrations (name, applied_at) VALUES (?, ?)', [m.name, Date.now()])
    })()
    ran.push(m.name)
  }
  return ran
}
