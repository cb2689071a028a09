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
// Runs as the package's postinstall (npm and bun both run it), so `bun build --compile` bundles the patched
// file. `--check` verifies without writing. It fails loudly when the anchor moved (a Baileys upgrade): review
// the new messages-recv.js and move the hook, then update ANCHOR.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const file = join(dirname(require.resolve('@whiskeysockets/baileys/package.json')), 'lib', 'Socket', 'messages-recv.js')

const MARKER = '// wagate: persist before any receipt or ack leaves (scripts/patch-baileys.mjs)'
const INDENT = ' '.repeat(20)
const ANCHOR = [
  `${INDENT}const isNewsletter = isJidNewsletter(msg.key.remoteJid);`,
  `${INDENT}if (!isNewsletter) {`,
  `${INDENT}    // no type in the receipt => message delivered`,
].join('\n')
const HOOK = [
  `${INDENT}${MARKER}`,
  `${INDENT}if (config.beforeReceipt) await config.beforeReceipt(msg, node.attrs.offline ? 'append' : 'notify');`,
].join('\n')
/** Must come after the hook, in this order, inside handleMessage. */
const AFTER = ['await sendReceipt(msg.key.remoteJid, participant, [msg.key.id], type);', 'await sendMessageAck(node);']

function fail(why) {
  console.error(`patch-baileys: ${why}\n  file: ${file}\n  see scripts/patch-baileys.mjs`)
  process.exit(1)
}

function verify(source) {
  const at = source.indexOf(MARKER)
  if (at < 0 || source.indexOf(MARKER, at + 1) >= 0) fail('the hook is not present exactly once')
  if (!source.includes(HOOK + '\n' + ANCHOR)) fail('the hook is not directly before the receipt branch')
  for (const line of AFTER) {
    const next = source.indexOf(line, at)
    if (next < 0 || next - at > 2500) fail(`expected "${line}" shortly after the hook`)
  }
}

const source = readFileSync(file, 'utf8')
if (process.argv.includes('--check')) {
  verify(source)
  console.log('patch-baileys: hook present before receipts')
} else if (source.includes(MARKER)) {
  verify(source)
} else {
  const count = source.split(ANCHOR).length - 1
  if (count !== 1) fail(`expected the receipt anchor exactly once, found ${count}: Baileys changed`)
  const patched = source.replace(ANCHOR, HOOK + '\n' + ANCHOR)
  verify(patched)
  writeFileSync(file, patched)
  console.log('patch-baileys: added the beforeReceipt hook to messages-recv.js')
}
