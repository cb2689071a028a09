// Issue 6 §1: no acknowledged message is ever lost. A burst from 10 contacts; the gateway child is killed with
// SIGKILL at a seeded random point of the live burst, restarted, killed again in the middle of the offline
// backlog (where an unpatched Baileys has receipted messages it still holds in its event buffer), restarted. The full run (10 rounds × 5,000) is
// `bun scripts/sigkill.ts`; this CI size keeps the same shape with fewer messages.
import { expect, it } from 'bun:test'
import { runSigkill } from '../helpers/sigkill-run.ts'

const ROUNDS = 10
const CONTACTS = 10
const PER_CONTACT = 100
const SEED = 0x5eed6

it('stores every message exactly once, with one event, across SIGKILLs at random points', async () => {
  const results = await runSigkill({ rounds: ROUNDS, contacts: CONTACTS, perContact: PER_CONTACT, seed: SEED })
  const total = CONTACTS * PER_CONTACT
  for (const r of results) {
    for (const k of r.kills) {
      expect({ phase: k.phase, lost: k.receiptedNotStored }).toEqual({ phase: k.phase, lost: 0 })
      expect(k.receipted + k.notReceipted).toBe(total)
    }
    expect({ stored: r.stored, duplicates: r.duplicates, missing: r.missing }).toEqual({
      stored: total,
      duplicates: 0,
      missing: 0,
    })
    expect({ events: r.events, one: r.messagesWithOneEvent }).toEqual({ events: total, one: total })
    expect(r.receiptedAfter).toBe(total)
  }
  expect(results).toHaveLength(ROUNDS)
}, 480_000) // 10 rounds of 20–36 s each on a loaded two-core host
