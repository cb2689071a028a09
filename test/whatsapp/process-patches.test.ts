// The process-wide Baileys patches are applied once, whoever asks: a second supervisor (or the simulator CLI in the
// same process) must not wrap Curve.verify or the console a second time.
import { expect, it } from 'bun:test'
import { Curve } from '@whiskeysockets/baileys'
import { createLogger } from '../../src/log.ts'
import { applyProcessPatches } from '../../src/whatsapp/process-patches.ts'

it('applyProcessPatches applied twice leaves the same Curve.verify and console methods as applied once', () => {
  applyProcessPatches(createLogger('silent'))
  const once = [Curve.verify, console.info, console.log]
  applyProcessPatches(createLogger('silent'))
  const twice = [Curve.verify, console.info, console.log]
  twice.forEach((fn, i) => expect(fn).toBe(once[i]!))
})
