// Every list query is served as an index range: no table scan, no temp b-tree for ORDER BY.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb, type Db } from '../../src/store/db.ts'

let db: Db
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wagate-plan-'))
  db = openDb(join(dir, 'plan.db'))
  db.sqlite.run('ANALYZE')
})
afterAll(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const plan = (sql: string) =>
  db.sqlite
    .query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`)
    .all()
    .map((r) => r.detail)
    .join(' | ')

const listings: [string, string, string][] = [
  [
    'chats, first page',
    `SELECT * FROM chats WHERE session_id = 's' ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT 51`,
    'chats_display',
  ],
  [
    'chats, after a cursor',
    `SELECT * FROM chats WHERE session_id = 's' AND (pinned_at, last_message_at, id) < (0, 5, 9)
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT 51`,
    'chats_display',
  ],
  [
    'messages of a chat, after a cursor',
    `SELECT * FROM messages WHERE session_id = 's' AND chat_jid = 'c' AND (timestamp, pk) < (5, 9)
     ORDER BY timestamp DESC, pk DESC LIMIT 51`,
    'messages_chat_time',
  ],
  ['channels', `SELECT * FROM channels WHERE session_id = 's' AND id > 3 ORDER BY id LIMIT 51`, 'channels_list'],
  ['sessions', `SELECT * FROM sessions WHERE org_id = 'o' AND id < 'z' ORDER BY id DESC LIMIT 51`, 'sessions_org'],
  ['api keys', `SELECT * FROM api_keys WHERE org_id = 'o' AND id < 'z' ORDER BY id DESC LIMIT 51`, 'api_keys_org'],
]

for (const [name, sql, index] of listings) {
  it(`serves ${name} as a range of ${index}`, () => {
    const p = plan(sql)
    expect(p).toContain(`USING INDEX ${index}`)
    expect(p).not.toContain('SCAN chats')
    expect(p).not.toContain('TEMP B-TREE')
  })
}

it('serves a chat cursor as a range, not a scan of the session (row-value predicate)', () => {
  const p = plan(
    `SELECT * FROM chats WHERE session_id = 's' AND (pinned_at, last_message_at, id) < (0, 5, 9)
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT 51`,
  )
  expect(p).toContain('SEARCH chats USING INDEX chats_display (session_id=? AND (pinned_at,last_message_at')
})
