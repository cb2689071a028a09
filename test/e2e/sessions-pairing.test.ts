// Pairing by code, and what happens to QR state and half-written creds around it.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h.close())

const authRows = (sid: string) =>
  h.db.sqlite.query<{ n: number }, [string]>('SELECT count(*) AS n FROM auth_state WHERE session_id = ?').get(sid)!.n

it('links with a pairing code', async () => {
  const phone = '15551290001'
  await h.control('POST', '/accounts', { phone })
  const sid = h.createSession()
  const { code } = await h.supervisor.requestPairingCode(sid, `+${phone}`)
  expect(code).toMatch(/^[A-Z0-9]{8}$/)
  expect(h.session(sid).status).toBe('pairing')
  const linked = await h.control('POST', `/accounts/${phone}:linkWithCode`, { code })
  expect(linked.status).toBe(200)
  await waitFor('connected', () => h.session(sid).status === 'connected')
  expect(h.session(sid).phone).toBe(phone)
  await expect(h.supervisor.requestPairingCode(sid, phone)).rejects.toMatchObject({ errorCode: 'conflict' })
})

it('shows the QR only while waiting for a scan, and stop keeps it stopped', async () => {
  const sid = h.createSession()
  expect(await h.supervisor.qr(sid)).toBeNull()
  await h.supervisor.start(sid)
  const qr = await waitFor('a QR', () => h.supervisor.qr(sid))
  expect(qr.expiresAt).toBeGreaterThan(Date.now())
  await h.supervisor.stop(sid)
  expect(await h.supervisor.qr(sid)).toBeNull()
  expect(h.session(sid)).toMatchObject({ status: 'stopped', desired_state: 'stopped' })
  expect(authRows(sid)).toBe(0) // a pairing that never finished leaves no half-written creds
})

it('logs out on request: unlinks on WhatsApp and wipes the creds', async () => {
  const phone = '15551290003'
  const sid = await h.linkedSession(phone)
  await h.supervisor.logout(sid)
  expect(h.session(sid)).toMatchObject({ status: 'logged_out', desired_state: 'stopped' })
  expect(authRows(sid)).toBe(0)
  await waitFor(
    'unlinked on the simulator',
    async () => (await h.control('GET', `/accounts/${phone}`)).body.devices.length === 0,
  )
})
