// Ingest helpers for what a message carries beyond its row: media download coordinates (and the download job),
// poll secrets and decrypted poll votes, and a finished download's outcome. All inside ingest's transaction.
import type { MediaInfo, MediaStatus, MessageType, Poll } from '../domain/message.ts'
import { messageFromRow, type MessageRow } from '../store/messages.ts'
import { decryptVote } from '../whatsapp/poll-vote.ts'
import type { MessageRecord, PollVoteRecord } from '../whatsapp/records.ts'
import { chatJidOf } from './ingest-chats.ts'
import type { Tx } from './ingest-writes.ts'
import { dedupeKey, q, type R, type Step } from './ingest-steps.ts'

/** Which inbound media is downloaded by itself: `--media-auto-download` kinds and `--media-max-bytes`. */
export type MediaPolicy = { autoDownload: readonly MessageType[]; maxBytes: number }

/** Downloads nothing: for engines without a media store (tests, tools). */
export const noDownloads: MediaPolicy = { autoDownload: [], maxBytes: 0 }

/**
 * The status a newly stored message's media starts with. A message sent through the API brings its own (its file
 * is stored already); live media the policy allows is `pending`; history sync and what the policy excludes is
 * `skipped`, and media WhatsApp gave no key or path for can never be downloaded.
 */
export function initialMediaStatus(r: MessageRecord, live: boolean, policy: MediaPolicy): MediaStatus | null {
  if (!r.media) return null
  if (r.media.status) return r.media.status
  const src = r.mediaSource
  if (!src?.mediaKey || !(src.directPath || src.url)) return 'failed'
  if (!live || !policy.autoDownload.includes(r.type)) return 'skipped'
  if (src.size !== null && src.size > policy.maxBytes) return 'skipped'
  return 'pending'
}

/** The record with its media status decided, ready for the row. */
export function withMediaStatus(r: MessageRecord, live: boolean, policy: MediaPolicy): MessageRecord {
  const status = initialMediaStatus(r, live, policy)
  return status && r.media ? { ...r, media: { ...r.media, status } } : r
}

/** Whether `storeExtras` has anything to store for a new row (no kinds to fill): most messages carry nothing. */
export const hasExtras = (r: MessageRecord) =>
  Boolean((r.media?.status === 'stored' && r.media.sha256) || r.mediaSource || r.poll)

/**
 * Stores the download coordinates and poll secret of a message row (new or already stored: our own sends come
 * back as echoes carrying the keys). Returns true when a download became pending.
 */
export function* storeExtras(tx: Tx, row: MessageRow, r: MessageRecord, kinds: KindsJson | null): Step<boolean> {
  let queued = false
  const stored = r.media?.status === 'stored' && r.media.sha256
  if (stored) yield q.mediaRef(r.media!.sha256!, tx.sessionId, `message:${row.pk}`, tx.now)
  if (kinds) yield q.fillKinds(kinds.location, kinds.contacts, kinds.poll, row.pk)
  const src = r.mediaSource
  if (src && row.media !== null && !((yield q.mediaJob(row.pk)) as R<'mediaJob'>)) {
    const status = (JSON.parse(row.media) as MediaInfo).status ?? 'skipped'
    yield q.insertMediaJob({
      message_pk: row.pk,
      session_id: tx.sessionId,
      kind: src.kind,
      media_key: src.mediaKey,
      direct_path: src.directPath,
      url: src.url,
      file_sha256: src.fileSha256,
      file_enc_sha256: src.fileEncSha256,
      size: src.size,
      status,
      next_attempt_at: tx.now,
      updated_at: tx.now,
    })
    queued = status === 'pending'
  }
  if (r.poll) yield q.upsertPoll(row.pk, r.poll.secret, JSON.stringify(r.poll.options))
  return queued
}

/** The JSON columns of a record's location, contacts and poll (its tally starting at zero). */
export type KindsJson = { location: string | null; contacts: string | null; poll: string | null }

export function kindsJson(r: MessageRecord): KindsJson {
  return {
    location: r.location ? JSON.stringify(r.location) : null,
    contacts: r.contacts ? JSON.stringify(r.contacts) : null,
    poll: r.poll ? JSON.stringify(pollOf(r.poll, r.poll.options, new Map())) : null,
  }
}

/** The API's poll object from a poll's options and the latest vote of each voter. */
export function pollOf(base: Pick<Poll, 'name' | 'selectableCount'>, options: string[], votes: Map<string, string[]>) {
  return {
    name: base.name,
    selectableCount: base.selectableCount,
    options: options.map((name) => {
      const voters = [...votes].filter(([, chosen]) => chosen.includes(name)).map(([voter]) => voter)
      return { name, votes: voters.length, voters }
    }),
  }
}

/** Decrypts a vote with its poll's secret, keeps it as the voter's latest, and refreshes the poll's tally. */
export function* applyPollVote(tx: Tx, v: PollVoteRecord): Step<void> {
  const poll =
    ((yield q.messageByKey(tx.sessionId, v.chatJid, v.pollWaId)) as R<'messageByKey'>) ??
    ((yield q.messageByWaId(tx.sessionId, v.pollWaId, 1)) as R<'messageByWaId'>) ??
    ((yield q.messageByWaId(tx.sessionId, v.pollWaId, 0)) as R<'messageByWaId'>)
  const stored = poll ? ((yield q.poll(poll.pk)) as R<'poll'>) : null
  if (!poll || !stored?.secret || poll.poll === null) return
  const me = poll.from_me === 1 ? ((yield q.sessionById(tx.sessionId)) as R<'sessionById'>) : null
  const creators = me ? [me.jid, me.lid] : [poll.sender_jid, poll.sender_lid]
  const options = JSON.parse(stored.options) as string[]
  // A voter named by LID alone (no phone number in the key) is named by phone number when the mapping is known, as
  // a message's sender is; the vote may be encrypted under either.
  const voter = v.voter.pn ?? (v.voter.lid ? ((yield chatJidOf(tx, v.voter.lid)) as string) : null)
  const ctx = { pollWaId: v.pollWaId, secret: stored.secret, creators, voters: [voter, v.voter.lid] }
  const chosen = decryptVote(v, ctx, options)
  if (chosen === null || !voter) return
  const before = (yield q.vote(poll.pk, voter)) as R<'vote'>
  const json = JSON.stringify(chosen)
  if (before && (before.timestamp > v.timestamp || (before.timestamp === v.timestamp && before.options === json)))
    return
  yield q.upsertVote(poll.pk, voter, json, v.timestamp)
  const votes = new Map(
    ((yield q.votes(poll.pk)) as R<'votes'>).map((r) => [r.voter, JSON.parse(r.options) as string[]]),
  )
  const tally = pollOf(JSON.parse(poll.poll) as Poll, options, votes)
  const row = (yield q.setPollJson(JSON.stringify(tally), poll.pk)) as R<'setPollJson'>
  if (!row) return
  const data = { message: messageFromRow(row), voter, options: chosen, timestamp: v.timestamp }
  yield tx.emit('poll.vote', data, dedupeKey('poll.vote', v.timestamp, tx.sessionId, poll.pk, voter))
}

export type MediaOutcome =
  { status: 'stored'; sha256: string; size: number } | { status: 'failed' | 'skipped'; error: string }

/** A download ended: the job, the message's media JSON and its `message.media` event, in one transaction. */
export function* settleMedia(tx: Tx, pk: number, attempts: number, o: MediaOutcome): Step<void> {
  const row = (yield q.messageByPk(pk)) as R<'messageByPk'>
  if (!row || row.media === null) return
  const error = o.status === 'stored' ? null : o.error
  yield q.setMediaJob(pk, o.status, attempts, tx.now, error, null, null, tx.now)
  const media = JSON.parse(row.media) as MediaInfo
  const next: MediaInfo =
    o.status === 'stored'
      ? { ...media, status: 'stored', sha256: o.sha256, size: o.size }
      : { ...media, status: o.status }
  const updated = (yield q.setMediaJson(JSON.stringify(next), pk)) as R<'setMediaJson'>
  if (!updated) return
  const key = dedupeKey('message.media', row.timestamp, tx.sessionId, row.chat_jid, row.wa_id, o.status)
  yield tx.emit('message.media', messageFromRow(updated), key)
}
