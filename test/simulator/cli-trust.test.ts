// The `wagate simulator` command and the trust helpers the gateway calls at startup.
import { describe, expect, test } from 'bun:test'
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import { randomBytes } from 'node:crypto'
import { simulatorCommand } from '../../src/simulator/cli.ts'
import { generateKeyPair, sign } from '../../src/simulator/pki.ts'
import { installStrictVerify, trustRoot } from '../../src/whatsapp/process-patches.ts'

describe('wagate simulator command', () => {
  test('--help prints usage and exits 0; an unknown option exits 2', async () => {
    const writes: string[] = []
    const out = process.stdout.write.bind(process.stdout)
    const err = process.stderr.write.bind(process.stderr)
    process.stdout.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stdout.write
    process.stderr.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stderr.write
    try {
      expect(await simulatorCommand(['--help'])).toBe(0)
      expect(await simulatorCommand(['--bogus'])).toBe(2)
      expect(await simulatorCommand(['--port', 'x'])).toBe(2)
    } finally {
      process.stdout.write = out
      process.stderr.write = err
    }
    expect(writes.join('')).toContain('Usage: wagate simulator')
    expect(writes.join('')).toContain('unknown option --bogus')
  })

  test('prints one JSON line with the URLs and root key, serves, and stops cleanly on SIGTERM', async () => {
    const child = Bun.spawn(
      [
        process.execPath,
        `${import.meta.dir}/../../src/simulator/cli.ts`,
        '--port',
        '0',
        '--control-port',
        '0',
        '--seed-accounts',
        '2',
      ],
      {
        stdout: 'pipe',
        stderr: 'pipe',
        env: { ...process.env, WAGATE_LOG_LEVEL: 'silent' },
      },
    )
    const reader = child.stdout.getReader()
    let text = ''
    while (!text.includes('\n')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    const info = JSON.parse(text.trim()) as { wsUrl: string; controlUrl: string; rootPublicKey: string }
    expect(info.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/)
    expect(Buffer.from(info.rootPublicKey, 'base64')).toHaveLength(32)
    const list = (await (await fetch(`${info.controlUrl}/accounts`)).json()) as { data: Array<{ phone: string }> }
    expect(list.data.map((a) => a.phone)).toEqual(['15550000001', '15550000002'])
    child.kill('SIGTERM')
    expect(await child.exited).toBe(0)
    expect(await new Response(child.stderr).text()).toContain('stopped')
  })
})

describe('trust helpers', () => {
  test('installStrictVerify makes Curve.verify reject a wrong signature, accept a right one, and is idempotent', () => {
    const key = generateKeyPair()
    const msg = Buffer.from('certificate details')
    installStrictVerify()
    const strict = Curve.verify
    installStrictVerify()
    expect(Curve.verify).toBe(strict)
    expect(Curve.verify(key.pub, msg, sign(key.priv, msg))).toBe(true)
    expect(Curve.verify(key.pub, msg, randomBytes(64))).toBe(false)
    expect(Curve.verify(key.pub, msg, randomBytes(63))).toBe(false)
  })

  test('trustRoot swaps the pinned root key and its undo restores the previous one', () => {
    const before = WA_CERT_DETAILS.PUBLIC_KEY
    const root = randomBytes(32)
    const undo = trustRoot(root)
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(root)).toBe(true)
    undo()
    expect(WA_CERT_DETAILS.PUBLIC_KEY).toBe(before)
    expect(() => trustRoot(randomBytes(31))).toThrow()
  })
})
