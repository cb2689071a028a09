// Is the Baileys this process loaded the one scripts/patch-baileys.mjs patched? Without the `beforeReceipt`
// hook, receipts leave before messages are stored and a crash loses messages WhatsApp will not resend, so
// `serve` refuses to start (engine.ts). The patch sets a global marker when Baileys' messages-recv.js loads.
// This module does not load Baileys itself: `serve` loads it on first use (sessions/deferred.ts) and checks the
// marker then (engine-live.ts).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MARKER = Symbol.for('wagate.baileys.beforeReceipt')
/** The hook's own comment line in messages-recv.js, present since the first version of the patch. */
const HOOK_LINE = '// wagate: persist before any receipt or ack leaves (scripts/patch-baileys.mjs)'

export const receiptHookFix =
  'run `node scripts/patch-baileys.mjs` in the wagate checkout (npm runs it as postinstall; it was skipped, e.g. ' +
  'by `npm install --ignore-scripts` or another installer), then restart or rebuild'

/** messages-recv.js on disk, when running from source (a compiled binary has no node_modules). */
function recvFile(): string | null {
  if (import.meta.url.startsWith('file:///$bunfs/')) return null
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('@whiskeysockets/baileys'))), 'Socket', 'messages-recv.js')
  } catch {
    return null
  }
}

/**
 * Null when the hook is there; else why not and how to fix it. The marker proves it for any build; from source,
 * a node_modules patched before the marker existed is recognised by the hook line in the file Bun loaded.
 */
export function receiptHookProblem(
  seen: { marker?: unknown; file?: string | null } = {
    marker: (globalThis as Record<symbol, unknown>)[MARKER],
    file: recvFile(),
  },
): string | null {
  if (seen.marker === 1) return null
  if (seen.file) {
    try {
      if (readFileSync(seen.file, 'utf8').includes(HOOK_LINE)) return null
    } catch {}
  }
  return `the loaded Baileys lacks wagate's beforeReceipt hook, so receipts would leave before messages are stored; ${receiptHookFix}`
}

export class MissingReceiptHook extends Error {
  constructor(problem: string) {
    super(problem)
    this.name = 'MissingReceiptHook'
  }
}

/**
 * The check `serve` makes at start, before anything loaded Baileys. From source: the hook line in the installed
 * messages-recv.js. A compiled binary has no file to read and scripts/build.ts refused to compile it without the hook;
 * its marker is checked when the supervisor loads Baileys, before any socket opens.
 */
export function receiptHookProblemAtStart(): string | null {
  const marker = (globalThis as Record<symbol, unknown>)[MARKER]
  const file = recvFile()
  return marker === undefined && file === null ? null : receiptHookProblem({ marker, file })
}

/** Throws MissingReceiptHook unless the hook is there (in the Baileys this process loaded). */
export function assertReceiptHook(): void {
  const problem = receiptHookProblem()
  if (problem) throw new MissingReceiptHook(problem)
}
