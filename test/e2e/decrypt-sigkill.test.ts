// One commit per decrypted message (issue 13): the Signal key writes Baileys makes while decrypting a message are
// committed in the receipt hook's transaction, with the message. A process SIGKILLed between the decrypt and that
// commit has written neither, so WhatsApp's redelivery decrypts again from the committed ratchet. Had the ratchet
// step been committed on its own, the redelivered message would no longer decrypt (its message key used up).
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { join } from 'node:path'
import { startHarness, waitFor, type Harness } from './sessions-harness.ts'

const ME = '15551260001'
const BOB = '15551260002'
let h: Harness
let sid: string

beforeAll(async () => {
  h = await startHarness()
  await h.control('POST', '/accounts', { phone: BOB, name: 'Bob' })
  sid = await h.linkedSession(ME)
})
afterAll(() => h.close())

/** The Signal state a decrypt advances (device lists and pre-keys also change when a socket connects). */
const keyRows = () =>
  h.db.sqlite
    .query<{ type: string; id: string; value: Uint8Array }, [string]>(
      "SELECT type, id, value FROM auth_state WHERE session_id = ? AND type IN ('session', 'sender-key', 'identity-key') ORDER BY type, id",
    )
    .all(sid)
    .map((r) => `${r.type}/${r.id}/${Buffer.from(r.value).toString('base64')}`)

const stored = (body: string) =>
  h.db.sqlite
    .query<{ type: string; body: string | null }, [string, string]>(
      'SELECT type, body FROM messages WHERE session_id = ? AND body = ?',
    )
    .all(sid, body)

async function send(text: string) {
  const sent = (await h.control('POST', `/accounts/${BOB}/messages`, { to: ME, text })).body
  return async () => {
    const all = (await h.control('GET', `/accounts/${BOB}/sent`)).body.data as any[]
    return all.find((s) => s.id === sent.id)?.devices[0]?.state as string | undefined
  }
}

it('a SIGKILL between decrypt and commit leaves neither the ratchet step nor the message; the redelivery decrypts', async () => {
  // An established Signal session, so the killed message is an ordinary ratchet step.
  const first = await send('before the kill')
  await waitFor('the first message receipted', async () => (await first()) === 'receipted')
  await h.supervisor.stop(sid)
  const before = keyRows()

  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, '..', 'helpers', 'decrypt-kill-child.ts'),
      join(h.dir, 'wagate.db'),
      sid,
      h.secretKey.toString('hex'),
      h.sim.wsUrl,
      h.sim.rootPublicKey,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const reader = child.stdout.getReader()
  let out = ''
  while (!out.includes('open')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`child exited before opening: ${out}`)
    out += new TextDecoder().decode(value)
  }
  const killed = await send('killed between decrypt and commit')
  expect(await child.exited).toBe(137)
  expect(child.signalCode).toBe('SIGKILL')
  expect(keyRows()).toEqual(before)
  expect(stored('killed between decrypt and commit')).toEqual([])
  expect(await killed()).toBe('delivered')

  await h.supervisor.start(sid)
  await waitFor('the redelivery receipted', async () => (await killed()) === 'receipted')
  expect(stored('killed between decrypt and commit')).toEqual([
    { type: 'text', body: 'killed between decrypt and commit' },
  ])
  const after = await send('after the redelivery')
  await waitFor('the next message receipted', async () => (await after()) === 'receipted')
  expect(stored('after the redelivery')).toEqual([{ type: 'text', body: 'after the redelivery' }])
  expect(h.session(sid).undecryptable_count).toBe(0)
  expect(keyRows()).not.toEqual(before)
}, 60_000)
