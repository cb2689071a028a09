// No key material reaches stdout/stderr while pairing and messaging: libsignal prints whole session records
// (private keys included) with console.info; whatsapp/process-patches.ts must keep them out. Runs in a child process so
// the output is captured exactly as an operator would see it.
import { expect, it } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql } from '../../src/store/auth-state-sql.ts'
import { openDb } from '../../src/store/db.ts'
import { isSignalNoise } from '../../src/whatsapp/signal-noise.ts'
import { createSessionAuth } from '../../src/whatsapp/auth-state.ts'
import { createSealer } from '../../src/domain/sealer.ts'

/** Every private key in the stored auth state, as the encodings a log line could show it in. */
async function secretsOf(dir: string, sid: string, key: Buffer): Promise<string[]> {
  const db = openDb(join(dir, 'wagate.db'))
  const sql = createAuthStateSql(db)
  const { state } = await createSessionAuth({
    sessionId: sid,
    sql,
    sealer: createSealer(key),
    logger: createLogger('silent'),
  }).forSocket(() => false)
  const c = state.creds
  const keys: Uint8Array[] = [
    c.noiseKey.private,
    c.signedIdentityKey.private,
    c.signedPreKey.keyPair.private,
    c.pairingEphemeralKeyPair.private,
    Buffer.from(c.advSecretKey, 'base64'),
  ]
  const ids = db.sqlite
    .query<{ id: string }, [string]>("SELECT id FROM auth_state WHERE session_id = ? AND type = 'session'")
    .all(sid)
  const records = await state.keys.get(
    'session',
    ids.map((r) => r.id),
  )
  // Session records hold the ratchet keys (`privKey` fields, Buffers or base64 strings, depending on the shape).
  const collect = (v: unknown, depth = 0): void => {
    if (!v || typeof v !== 'object' || depth > 8) return
    for (const [k, x] of Object.entries(v)) {
      if (k === 'privKey' && typeof x === 'string') keys.push(Buffer.from(x, 'base64'))
      else if (k === 'privKey' && x instanceof Uint8Array) keys.push(x)
      else collect(x, depth + 1)
    }
  }
  for (const record of Object.values(records)) {
    collect(record instanceof Uint8Array ? JSON.parse(Buffer.from(record).toString('utf8')) : record)
  }
  db.close()
  expect(keys.length).toBeGreaterThan(6) // creds keys plus at least two ratchet keys
  return keys.flatMap((k) => {
    const b = Buffer.from(k)
    return [
      b.toString('base64'),
      b.toString('hex'),
      [...b.subarray(0, 12)].map((x) => x.toString(16).padStart(2, '0')).join(' '),
    ]
  })
}

it('prints no key material during pairing and messaging', async () => {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'fixtures', 'pair-and-message.ts')], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, WAGATE_LOG_LEVEL: 'debug' },
  })
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  expect(code).toBe(0)
  const done = out.match(/FIXTURE-DONE (.+)/)
  expect(done).not.toBeNull()
  const { dir, sid, key } = JSON.parse(done![1]!) as { dir: string; sid: string; key: string }
  try {
    const printed = out.replace(done![0], '') + err
    expect(printed.length).toBeGreaterThan(0) // our debug logs did go to stdout
    expect(printed).not.toContain('privKey')
    expect(printed).not.toContain('currentRatchet')
    expect(printed).not.toContain('ephemeralKeyPair')
    // libsignal did try to print session records; what reached the output is our one-line summary.
    expect(printed).toContain('suppressed libsignal console output')
    for (const s of await secretsOf(dir, sid, Buffer.from(key, 'hex'))) expect(printed.includes(s)).toBe(false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 60_000)

it('recognises libsignal session dumps and key-shaped objects', () => {
  expect(isSignalNoise(['Closing session:', {}])).toBe(true)
  expect(isSignalNoise(['x', { currentRatchet: { ephemeralKeyPair: {} } }])).toBe(true)
  expect(isSignalNoise(['listening on', 3000])).toBe(false)
})
