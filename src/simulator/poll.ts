// Poll votes, encrypted the way WhatsApp clients do, so Baileys' decryptPollVote / getAggregateVotesInPollMessage
// can read what a simulated phone votes and the phone can read what a client votes:
//   key = HMAC-SHA256(key = HMAC-SHA256(key = 32 zero bytes, messageSecret), pollId ‖ creatorJid ‖ voterJid ‖
//         "Poll Vote" ‖ 0x01)
//   AES-256-GCM(key, iv 12 bytes, aad = pollId ‖ 0x00 ‖ voterJid) over PollVoteMessage{selectedOptions: sha256(name)}
// Which jids: what Baileys' own vote logic (getKeyAuthor, the commented-out decryption in process-message.js) derives
// on the receiving client: a phone is named by the *alternate* jid of its stanzas (its LID when it sends from its
// PN with sender_lid, its PN when it sends as LID), since getKeyAuthor prefers remoteJidAlt; the client as creator
// is `jidNormalizedUser(me.id)`, its PN. `authorJid` gives a phone's. Reading a client's vote, a phone tries PN and
// LID for both (GCM authenticates, so a wrong guess only fails).
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'
import { proto } from '@whiskeysockets/baileys'

/** What a phone remembers of a poll it created or received: enough to encrypt and read votes. */
export interface PollRecord {
  secret: Buffer
  creatorJid: string
  options: string[]
}

/**
 * How a client running Baileys names `account` in poll crypto (see above): in a group, the alternate of the
 * stanza's participant (its LID in a PN-addressed group, its PN in a LID-addressed one).
 */
export const authorJid = (
  account: { jid: string; lid: string; sendsAsLid?: boolean },
  group?: { addressingMode: 'pn' | 'lid' },
) => ((group ? group.addressingMode === 'lid' : account.sendsAsLid) ? account.jid : account.lid)

export const optionHash = (name: string) => createHash('sha256').update(Buffer.from(name)).digest()

function voteKey(poll: PollRecord, pollId: string, voterJid: string): Buffer {
  const key0 = createHmac('sha256', Buffer.alloc(32)).update(poll.secret).digest()
  const info = Buffer.concat([Buffer.from(pollId + poll.creatorJid + voterJid + 'Poll Vote'), Buffer.from([1])])
  return createHmac('sha256', key0).update(info).digest()
}

const aad = (pollId: string, voterJid: string) => Buffer.from(`${pollId}\u0000${voterJid}`)

export function encryptVote(poll: PollRecord, pollId: string, voterJid: string, options: string[]) {
  const plain = proto.Message.PollVoteMessage.encode({ selectedOptions: options.map(optionHash) }).finish()
  const encIv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', voteKey(poll, pollId, voterJid), encIv)
  cipher.setAAD(aad(pollId, voterJid))
  const encPayload = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
  return { encPayload, encIv }
}

/** The option names a vote selects (hashes that match no option are reported as hex); tries each jid pairing. */
export function decryptVote(
  poll: PollRecord,
  pollId: string,
  voterJids: string[],
  creatorJids: string[],
  vote: { encPayload?: Uint8Array | null; encIv?: Uint8Array | null },
): string[] {
  const payload = Buffer.from(vote.encPayload ?? [])
  for (const creatorJid of creatorJids) {
    for (const voterJid of voterJids) {
      let plain: Buffer
      try {
        const key = voteKey({ ...poll, creatorJid }, pollId, voterJid)
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(vote.encIv ?? []))
        decipher.setAAD(aad(pollId, voterJid))
        decipher.setAuthTag(payload.subarray(payload.length - 16))
        plain = Buffer.concat([decipher.update(payload.subarray(0, payload.length - 16)), decipher.final()])
      } catch {
        continue
      }
      const selected = proto.Message.PollVoteMessage.decode(plain).selectedOptions.map((h) => Buffer.from(h))
      return selected.map((h) => poll.options.find((o) => optionHash(o).equals(h)) ?? h.toString('hex'))
    }
  }
  throw new Error('vote did not decrypt')
}
