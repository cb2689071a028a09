// Patches Baileys 7.0.0-rc14 so an incoming message can be stored before its receipt leaves.
//
// Why: in lib/Socket/messages-recv.js Baileys sends the delivery receipt (or, for channels, the ack) and only
// then emits the message through `messages.upsert`, which the event buffer may hold back during offline
// catch-up. A gateway killed in between has told WhatsApp "delivered" for a message it never stored, and
// WhatsApp will not send it again. The patch adds one awaited call, `config.beforeReceipt(msg, type)`, at the
// top of the successfully-decrypted branch, before any receipt or ack; wagate stores the message there in a
// synchronous SQLite transaction. If the hook throws, Baileys' own catch sends a NACK and the message is
// redelivered. Nothing else changes: without the option, Baileys behaves as released.
//
// A third edit lets wagate hand the per-socket message mutex on from inside the hook: `config.messageTurns`, when
// given, wraps Baileys' mutex for handleMessage (src/whatsapp/message-turns.ts), so the next message of the socket
// may decrypt while this one's commit is pending; this message's receipt still waits for its hook. Without the
// option the mutex is Baileys' own, unchanged.
//
// A top-level line marks the module as patched (a global symbol set when Baileys is loaded):
// src/whatsapp/receipt-hook.ts checks it, so `serve` refuses to run on a Baileys installed without this
// script (`npm install --ignore-scripts`, another installer, a cache). scripts/build.ts runs `--check` first.
//
// Runs as the package's postinstall (npm and bun both run it), so `bun build --compile` bundles the patched
// file. `--check` verifies without writing; `--file PATH` works on another copy (tests). Each edit is applied
// once and verified; it fails loudly when an anchor moved (a Baileys upgrade): review the new messages-recv.js
// and move the hook, then update the anchors.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const fileArg = process.argv.indexOf('--file')
const file =
  fileArg > 0
    ? process.argv[fileArg + 1]
    : join(dirname(require.resolve('@whiskeysockets/baileys/package.json')), 'lib', 'Socket', 'messages-recv.js')

const INDENT = ' '.repeat(20)
/** Must come after the hook, in this order, inside handleMessage. */
const AFTER = ['await sendReceipt(msg.key.remoteJid, participant, [msg.key.id], type);', 'await sendMessageAck(node);']

const edits = [
  {
    name: 'the beforeReceipt hook',
    marker: `${INDENT}// wagate: persist before any receipt or ack leaves (scripts/patch-baileys.mjs)`,
    anchor: [
      `${INDENT}const isNewsletter = isJidNewsletter(msg.key.remoteJid);`,
      `${INDENT}if (!isNewsletter) {`,
      `${INDENT}    // no type in the receipt => message delivered`,
    ].join('\n'),
    lines: [
      `${INDENT}if (config.beforeReceipt) await config.beforeReceipt(msg, node.attrs.offline ? 'append' : 'notify');`,
    ],
    verify(source, at) {
      for (const line of AFTER) {
        const next = source.indexOf(line, at)
        if (next < 0 || next - at > 2500) return `expected "${line}" shortly after the hook`
      }
      return null
    },
  },
  {
    name: 'the message hand-over',
    // A node_modules patched before this edit existed still receipts safely; `--check` only warns (see verify).
    optional: true,
    marker: `${' '.repeat(12)}// wagate: the receipt hook may hand the message mutex on (scripts/patch-baileys.mjs)`,
    anchor: `${' '.repeat(12)}await messageMutex.mutex(async () => {\n${INDENT.slice(4)}await decrypt();`,
    replace: [
      `${' '.repeat(12)}await (config.messageTurns?.(messageMutex) ?? messageMutex).mutex(async () => {`,
      `${INDENT.slice(4)}await decrypt();`,
    ],
    verify(source, at) {
      const hook = source.indexOf('await config.beforeReceipt(', at)
      return hook < 0 || hook - at > 12000 ? 'expected the beforeReceipt hook inside the handed-over mutex' : null
    },
  },
  {
    name: 'the patched-module marker',
    marker: '// wagate: this module carries the beforeReceipt hook (checked by src/whatsapp/receipt-hook.ts)',
    anchor: 'export const makeMessagesRecvSocket = (config) => {',
    lines: ["globalThis[Symbol.for('wagate.baileys.beforeReceipt')] = 1;"],
    verify: () => null,
  },
]

function fail(why) {
  console.error(
    `patch-baileys: ${why}\n  file: ${file}\n  see scripts/patch-baileys.mjs (run: node scripts/patch-baileys.mjs)`,
  )
  process.exit(1)
}

/** The patched text: the marker and lines inserted before the anchor, or (`replace`) instead of it. */
const block = (edit) =>
  edit.replace
    ? [edit.marker, ...edit.replace].join('\n')
    : [edit.marker, ...edit.lines].join('\n') + '\n' + edit.anchor

function verify(source) {
  for (const edit of edits) {
    const at = source.indexOf(edit.marker)
    if (at < 0 && edit.optional) {
      // Not a safety edit: without it messages of one socket wait for each other's commit, as before it existed.
      console.error(
        `patch-baileys: ${edit.name} is missing (one session commits message by message); run: node scripts/patch-baileys.mjs`,
      )
      continue
    }
    if (at < 0 || source.indexOf(edit.marker, at + 1) >= 0) fail(`${edit.name} is not present exactly once`)
    if (!source.includes(block(edit))) fail(`${edit.name} is not directly before its anchor`)
    const problem = edit.verify(source, at)
    if (problem) fail(problem)
  }
}

let source = readFileSync(file, 'utf8')
if (process.argv.includes('--check')) {
  verify(source)
  console.log('patch-baileys: hook present before receipts')
} else {
  const applied = []
  for (const edit of edits) {
    if (source.includes(edit.marker)) continue
    const count = source.split(edit.anchor).length - 1
    if (count !== 1) fail(`expected the anchor of ${edit.name} exactly once, found ${count}: Baileys changed`)
    source = source.replace(edit.anchor, block(edit))
    applied.push(edit.name)
  }
  verify(source)
  if (applied.length) {
    writeFileSync(file, source)
    console.log(`patch-baileys: added ${applied.join(' and ')} to messages-recv.js`)
  }
}
