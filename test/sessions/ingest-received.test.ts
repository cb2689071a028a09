// The receipt hook's write (ingest.received): a decrypted message with the Signal key writes of its decrypt,
// committed together before the hook resolves. On SQLite the messages of several sessions received in the same turn
// of the event loop share one commit; each still succeeds or fails on its own, and later writes keep their order.
import { describe, expect, it } from 'bun:test'
import { proto, type WAMessage } from '@whiskeysockets/baileys'
import type { KeyWrites } from '../../src/store/auth-state-sql.ts'
import { receivedBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, type Harness, me, useIngest } from './fixture.ts'

let h: Harness

const msg = (id: string) => <WAMessage>proto.WebMessageInfo.fromObject({
    key: { remoteJid: BOB, fromMe: false, id },
    messageTimestamp: 1_700_000_000,
    message: { conversation: `text of ${id}` },
  })
const keys = (id: string): KeyWrites => ({
  ops: [{ type: 'session', id: `${id}.0`, value: new Uint8Array([1, 2, 3]) }],
  stored: false,
})
const received = (session: string, id: string, k: KeyWrites | null = keys(id)) =>
  h.ingest.received(session, receivedBatch(msg(id), 'notify', me), k)
const stored = async () =>
  (await h.all('SELECT session_id, wa_id FROM messages ORDER BY session_id, wa_id')).map(
    (r) => `${r.session_id}/${r.wa_id}`,
  )
const keyRows = async () =>
  (await h.all('SELECT session_id, id AS key FROM auth_state ORDER BY session_id, id')).map(
    (r) => `${r.session_id}/${r.key}`,
  )
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'stored',
    (e: Error) => `failed: ${e.message}`,
  )

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))
  const addSession = (id: string) => h.exec(`INSERT INTO sessions (id, org_id, name) VALUES (?, 'o', ?)`, id, id)

  it('stores messages of several sessions received in the same turn, each with its key writes and event', async () => {
    await addSession('t')
    await addSession('u')
    const k = [keys('A'), keys('B'), keys('C')]
    await Promise.all([received('s', 'A', k[0]), received('t', 'B', k[1]), received('u', 'C', k[2])])
    expect(await stored()).toEqual(['s/A', 't/B', 'u/C'])
    expect(await keyRows()).toEqual(['s/A.0', 't/B.0', 'u/C.0'])
    expect((await h.all('SELECT session_id FROM events ORDER BY session_id')).map((e) => e.session_id)).toEqual([
      's',
      't',
      'u',
    ])
    expect(k.map((x) => x.stored)).toEqual([true, true, true])
  })

  it('fails only the message that cannot be stored, with nothing of it written, and stores the others', async () => {
    await addSession('t')
    await h.failOnMessage('B')
    const results = await Promise.all([
      outcome(received('s', 'A')),
      outcome(received('t', 'B')),
      outcome(received('s', 'C')),
    ])
    expect(results).toEqual(['stored', 'failed: boom', 'stored'])
    expect(await stored()).toEqual(['s/A', 's/C'])
    expect(await keyRows()).toEqual(['s/A.0', 's/C.0'])
  })

  it('refuses a later message of the socket whose key writes were read from one that failed to commit', async () => {
    await addSession('t')
    await h.failOnMessage('A')
    // As auth-state.ts links them: B was decrypted from A's held ratchet step, before A's commit failed.
    let failures = 0
    const readAfter = (id: string): KeyWrites => {
      const seen = failures
      return { ...keys(id), valid: () => seen === failures, failed: () => void (seen === failures && failures++) }
    }
    const results = await Promise.all([
      outcome(received('s', 'A', readAfter('A'))),
      outcome(received('s', 'B', readAfter('B'))),
      outcome(received('t', 'C')),
    ])
    expect(results).toEqual([
      'failed: boom',
      'failed: key writes read an earlier message that was not stored',
      'stored',
    ])
    expect(await stored()).toEqual(['t/C'])
    expect(await keyRows()).toEqual(['t/C.0'])
  })

  it('applies a write made after a message was received after that message', async () => {
    const hook = received('s', 'A', null)
    const later = h.ingest.batch('s', {
      ...receivedBatch(msg('X'), 'notify', me),
      messages: [],
      updates: [{ chatJid: BOB, waId: 'A', fromMe: false, status: 'read' }],
    })
    await Promise.all([hook, later])
    expect(await h.all('SELECT wa_id, status FROM messages')).toEqual([{ wa_id: 'A', status: 'read' }])
  })
})
