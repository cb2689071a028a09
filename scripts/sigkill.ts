// Full SIGKILL proof of issue 6 §1: `bun scripts/sigkill.ts [rounds=10] [perContact=500] [seed]` — 10 contacts
// burst `perContact` messages each; the gateway child is killed with SIGKILL at a seeded random point of the
// burst, restarted, killed again during the offline backlog and restarted, `rounds` times. Prints the counts per round and exits non-zero if any message was lost,
// duplicated or announced other than once. test/e2e/sigkill.test.ts runs the same at CI size.
import { runSigkill } from '../test/helpers/sigkill-run.ts'

const [rounds = 10, perContact = 500, seed = Date.now() % 2 ** 31] = process.argv.slice(2).map(Number)
const contacts = 10
const total = contacts * perContact
console.log(`sigkill: ${rounds} rounds × ${total} messages from ${contacts} contacts, seed ${seed}`)
const started = Date.now()
const results = await runSigkill({ rounds, contacts, perContact, seed })
const bad = results.filter(
  (r) =>
    r.kills.some((k) => k.receiptedNotStored !== 0) ||
    r.stored !== total ||
    r.duplicates !== 0 ||
    r.missing !== 0 ||
    r.events !== total ||
    r.messagesWithOneEvent !== total ||
    r.receiptedAfter !== total,
)
const kills = (r: (typeof results)[number], phase: string) => {
  const k = r.kills.find((x) => x.phase === phase)!
  return `${k.aimedAt} | ${k.stored} | ${k.receipted} | ${k.notReceipted} | ${k.receiptedNotStored}`
}
console.log(
  '\n| round | live kill: aimed (stored) | stored | receipted | not receipted | receipted, not stored ' +
    '| catch-up kill: aimed (receipted) | stored | receipted | not receipted | receipted, not stored ' +
    '| stored after | dup | missing | message.received | ms |',
)
console.log(`|${'---|'.repeat(16)}`)
for (const r of results) {
  console.log(
    `| ${r.round} | ${kills(r, 'live')} | ${kills(r, 'catch-up')} | ${r.stored} | ${r.duplicates} | ${r.missing} | ${r.events} | ${r.ms} |`,
  )
}
console.log(
  `\n${bad.length ? `FAILED rounds: ${bad.map((r) => r.round).join(', ')}` : 'all rounds clean'} in ${Date.now() - started} ms`,
)
process.exit(bad.length ? 1 : 0)
