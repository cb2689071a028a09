// Poll votes: Baileys 7 no longer decrypts them (research/baileys.md §5.6), so ingest does, with the poll's
// stored messageSecret. The vote is encrypted under the exact creator and voter JIDs the voter's phone used (PN
// or LID), which we cannot know, so each pair is tried until AES-GCM authenticates.
import { createHash } from 'node:crypto'
import { decryptPollVote } from '@whiskeysockets/baileys'

export type VoteContext = {
  pollWaId: string
  secret: Uint8Array
  /** Candidate JIDs of the poll's creator and of the voter (nulls are skipped). */
  creators: (string | null)[]
  voters: (string | null)[]
}

/** The option names a vote selects (unknown hashes dropped), or null when no candidate pair decrypts it. */
export function decryptVote(
  vote: { encPayload: Uint8Array; encIv: Uint8Array },
  ctx: VoteContext,
  optionNames: string[],
): string[] | null {
  const byHash = new Map(optionNames.map((n) => [createHash('sha256').update(n).digest('hex'), n]))
  for (const creator of new Set(ctx.creators.filter(Boolean) as string[])) {
    for (const voter of new Set(ctx.voters.filter(Boolean) as string[])) {
      let selected: Uint8Array[]
      try {
        const opts = { pollCreatorJid: creator, pollMsgId: ctx.pollWaId, pollEncKey: ctx.secret, voterJid: voter }
        selected = decryptPollVote(vote, opts).selectedOptions ?? []
      } catch {
        continue // wrong JID pair: the GCM tag does not authenticate
      }
      return selected.map((h) => byHash.get(Buffer.from(h).toString('hex'))).filter((n) => n !== undefined)
    }
  }
  return null
}
