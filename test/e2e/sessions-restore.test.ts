// Restart restores linked sessions from the stored (encrypted) creds without a new QR; an untrusted root is refused.
import { expect, it } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { startHarness, waitFor } from './sessions-harness.ts'

it('restores a running session after a restart without a new QR, and messages keep flowing', async () => {
  const first = await startHarness()
  const phone = '15551270001'
  const bob = '15551270002'
  await first.control('POST', '/accounts', { phone: bob, name: 'Bob' })
  const sid = await first.linkedSession(phone)
  await first.close(true)

  const second = await startHarness({ sim: first.sim, dir: first.dir, secretKey: first.secretKey })
  try {
    expect(second.session(sid).status).toBe('stopped')
    expect(second.session(sid).desired_state).toBe('running')
    const qrsBefore = second.eventsOf('session.qr').length
    await second.supervisor.restore()
    await waitFor('connected', () => second.session(sid).status === 'connected')
    expect(second.eventsOf('session.qr').length).toBe(qrsBefore)
    const sent = (await second.control('POST', `/accounts/${bob}/messages`, { to: phone, text: 'after restart' })).body
    await waitFor('stored', () => second.db.sqlite.query('SELECT 1 FROM messages WHERE wa_id = ?').get(sent.id))
    const out = await second.supervisor.send(sid, { to: bob, text: 'still here' })
    await waitFor('delivered to Bob', async () =>
      ((await second.control('GET', `/accounts/${bob}/messages`)).body.data as { id: string }[]).some(
        (m) => m.id === out.id,
      ),
    )
  } finally {
    await second.close()
  }
})

it('refuses a server whose certificate chain is not signed by the trusted root', async () => {
  const h = await startHarness({ rootKey: randomBytes(32) })
  try {
    const sid = h.createSession()
    await h.supervisor.start(sid)
    await waitFor('failed', () => h.session(sid).status === 'failed')
    expect(await h.supervisor.qr(sid)).toBeNull()
    expect(h.session(sid).last_error).toContain('not signed by the trusted WhatsApp root')
    expect(h.eventsOf('session.qr')).toHaveLength(0)
  } finally {
    await h.close()
  }
})

it('restores sessions one login at a time with restoreConcurrency 1: each is connected before the next starts', async () => {
  const first = await startHarness()
  const phones = ['15551270011', '15551270012', '15551270013']
  const sids: string[] = []
  for (const p of phones) sids.push(await first.linkedSession(p))
  await first.close(true)

  const second = await startHarness({
    sim: first.sim,
    dir: first.dir,
    secretKey: first.secretKey,
    restoreConcurrency: 1,
  })
  try {
    const before = second.eventsOf('session.status').length
    await second.supervisor.restore()
    for (const sid of sids) await waitFor('connected', () => second.session(sid).status === 'connected')
    const order = second
      .eventsOf('session.status')
      .slice(before)
      .map((e) => `${e.data.id}:${e.data.status}`)
    // runningSessions() restores in id order.
    expect(order).toEqual([...sids].sort().flatMap((sid) => [`${sid}:starting`, `${sid}:connected`]))
  } finally {
    await second.close()
  }
})
