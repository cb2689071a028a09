import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

it('links a session by QR and stores the account phone, JID and LID', async () => {
  const phone = '15551230001'
  const sid = await h.linkedSession(phone)
  const row = h.session(sid)
  const account = (await h.control('GET', `/accounts/${phone}`)).body
  expect(row.status).toBe('connected')
  expect(row.phone).toBe(phone)
  expect(row.jid).toBe(`${phone}@s.whatsapp.net`)
  expect(row.lid).toBe(account.lid)
  expect(row.connected_at).toBeGreaterThan(0)
  const statuses = h.eventsOf('session.status').map((e) => e.data.status)
  expect(statuses).toContain('qr')
  expect(statuses.at(-1)).toBe('connected')
  expect(h.eventsOf('session.qr').length).toBeGreaterThan(0)
})
