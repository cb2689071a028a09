// The Baileys receipt hook is checked, not assumed: the build and `serve` refuse a Baileys without it.
import { afterAll, describe, expect, it } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import '@whiskeysockets/baileys'
import { receiptHookProblem, receiptHookProblemAtStart } from '../../src/whatsapp/receipt-hook.ts'

const root = join(import.meta.dir, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'wagate-hook-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const baileysDir = join(dirname(fileURLToPath(import.meta.resolve('@whiskeysockets/baileys'))), '..')
const patched = readFileSync(join(baileysDir, 'lib', 'Socket', 'messages-recv.js'), 'utf8')
/** messages-recv.js as Baileys ships it: the installed copy with the patch's lines taken out again. */
const released = patched
  .split('\n')
  .filter((l) => !/\/\/ wagate: |config\.beforeReceipt|Symbol\.for\('wagate\./.test(l))
  .join('\n')
  .replace('(config.messageTurns?.(messageMutex) ?? messageMutex).mutex(', 'messageMutex.mutex(')

function script(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, join(root, 'scripts', 'patch-baileys.mjs'), ...args])
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

describe('scripts/patch-baileys.mjs', () => {
  it('--check fails on Baileys as released, naming the fix', () => {
    const file = join(dir, 'released.js')
    writeFileSync(file, released)
    const r = script('--check', '--file', file)
    expect(r.code).toBe(1)
    expect(r.err).toContain('patch-baileys: the beforeReceipt hook is not present exactly once')
    expect(r.err).toContain('run: node scripts/patch-baileys.mjs')
  })

  it('patches Baileys as released into exactly the installed file, once', () => {
    const file = join(dir, 'to-patch.js')
    writeFileSync(file, released)
    expect(script('--file', file).code).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(patched)
    expect(script('--file', file).out).toBe('')
    expect(script('--check', '--file', file).code).toBe(0)
  })
})

describe('npm run build', () => {
  it('refuses to build without the hook', () => {
    // A project whose Baileys is unpatched: the build checks before it compiles anything.
    const project = join(dir, 'project')
    mkdirSync(join(project, 'node_modules', '@whiskeysockets', 'baileys', 'lib', 'Socket'), { recursive: true })
    cpSync(join(root, 'scripts'), join(project, 'scripts'), { recursive: true })
    cpSync(join(root, 'package.json'), join(project, 'package.json'))
    cpSync(
      join(baileysDir, 'package.json'),
      join(project, 'node_modules', '@whiskeysockets', 'baileys', 'package.json'),
    )
    writeFileSync(
      join(project, 'node_modules', '@whiskeysockets', 'baileys', 'lib', 'Socket', 'messages-recv.js'),
      released,
    )
    const p = Bun.spawnSync([process.execPath, join(project, 'scripts', 'build.ts'), join(project, 'wagate')])
    expect(p.exitCode).toBe(1)
    expect(p.stderr.toString()).toContain('refusing to build: Baileys lacks the beforeReceipt hook')
  })
})

describe('serve', () => {
  it('finds the hook in the Baileys this process loaded, by its marker', () => {
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('wagate.baileys.beforeReceipt')]).toBe(1)
    expect(receiptHookProblem()).toBeNull()
  })

  it('finds the hook at start from the installed file, before the supervisor loads Baileys', () => {
    expect(receiptHookProblemAtStart()).toBeNull()
  })

  it('refuses a Baileys without the hook, naming the fix', () => {
    const file = join(dir, 'loaded.js')
    writeFileSync(file, released)
    expect(receiptHookProblem({ marker: undefined, file })).toBe(
      "the loaded Baileys lacks wagate's beforeReceipt hook, so receipts would leave before messages are stored; " +
        'run `node scripts/patch-baileys.mjs` in the wagate checkout (npm runs it as postinstall; it was skipped, ' +
        'e.g. by `npm install --ignore-scripts` or another installer), then restart or rebuild',
    )
  })

  it('accepts a Baileys patched before the marker existed, by the hook in the loaded file', () => {
    const file = join(dir, 'old-patch.js')
    writeFileSync(file, patched.replace("globalThis[Symbol.for('wagate.baileys.beforeReceipt')] = 1;\n", ''))
    expect(receiptHookProblem({ marker: undefined, file })).toBeNull()
  })
})
