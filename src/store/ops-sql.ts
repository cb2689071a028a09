// The SQLite statement set of the engine's write path (sessions/ingest-steps.ts `Ops`): the prepared statements of
// ingest-sql, chats-sql, groups-sql, media-sql, outbound and auth-state-sql, answered synchronously inside the
// caller's transaction.
import type { Ops } from '../sessions/ingest-steps.ts'
import { createAuthStateSql } from './auth-state-sql.ts'
import { createChatSql } from './chats-sql.ts'
import type { Db } from './db.ts'
import type { Append } from './events.ts'
import { createGroupSql } from './groups-sql.ts'
import { createIngestSql } from './ingest-sql.ts'
import { createMediaSql } from './media-sql.ts'
import { createOutboundQueue } from './outbound.ts'

export type SqliteOps = Ops & {
  /** Where `append` writes: the counting append of the event-store transaction running now. */
  appendTo(append: Append): void
}

export function createSqliteOps(db: Db): SqliteOps {
  const sql = createIngestSql(db)
  const chats = createChatSql(db.sqlite)
  const groups = createGroupSql(db)
  const media = createMediaSql(db)
  const queue = createOutboundQueue(db)
  const auth = createAuthStateSql(db)
  let appendNow: Append = () => {
    throw new Error('an event append outside an event-store transaction')
  }
  return {
    appendTo: (append) => void (appendNow = append),
    insertMessage: (row) => sql.insertMessage(row),
    messageByKey: (s, c, w) => sql.messageByKey.get(s, c, w),
    messageByServerId: (s, c, id) => sql.messageByServerId.get(s, c, id),
    messageByWaId: (s, w, f) => sql.messageByWaId.get(s, w, f),
    replaceContent: (row) => sql.replaceContent.get(row),
    setMessage: (pk, st, ack, err, body, ed, del, re) => sql.setMessage.get(pk, st, ack, err, body, ed, del, re),
    messageByPk: (pk) => media.messageByPk.get(pk),
    countUndecryptable: (s) => void sql.countUndecryptable.run(s),
    messageForGet: (s, w, f) => sql.messageForGet.get(s, w, f),
    quotable: (s, w) => sql.quotable.get(s, w),
    lastMessages: (s, c, n) => sql.lastMessages.all(s, c, n),
    chatByJid: (s, j) => sql.chatByJid.get(s, j),
    upsertChat: (s, j, t, n, u, a, p, m, l, now) => sql.upsertChat.get(s, j, t, n, u, a, p, m, l, now),
    bumpChat: (...a) => void sql.bumpChat.run(...a),
    chatView: (id) => chats.view.get(id),
    chatViewByJid: (s, j) => chats.viewByJid.get(s, j),
    pnOfLid: (s, lid) => chats.pnOfLid.get(s, lid),
    moveMessages: (s, lid, pn) => void chats.moveMessages.run(s, lid, pn),
    dropMessages: (s, c) => void chats.dropMessages.run(s, c),
    rekeyChat: (id, jid, now) => void chats.rekey.run(id, jid, now),
    removeChat: (id) => void chats.remove.run(id),
    setMergedChat: (...a) => void chats.setMerged.run(...a),
    deleteChat: (s, j) => groups.deleteChat.get(s, j),
    contactBy: (s, j, l) => sql.contactBy.all(s, j, l),
    contactName: (s, j, l) => sql.contactName.get(s, j, l),
    insertContact: (s, j, l, n, no, v, now) => void sql.upsertContact.run(s, j, l, n, no, v, now),
    updateContact: (id, j, l, n, no, v, now) => void sql.updateContact.run(id, j, l, n, no, v, now),
    deleteContact: (id) => void sql.deleteContact.run(id),
    setBlocked: (...a) => groups.setBlocked.all(...a),
    insertBlocked: (...a) => void groups.insertBlocked.run(...a),
    mappingOf: (s, id) => groups.mappingOf.get(s, id),
    channelByJid: (s, j) => sql.channelByJid.get(s, j),
    upsertChannel: (...a) => sql.upsertChannel.get(...a),
    sessionById: (id) => sql.sessionById.get(id),
    setSession: (id, set, now) => sql.setSession(id, set, now),
    runningSessions: () => sql.running.all(),
    groupByJid: (s, j) => groups.groupByJid.get(s, j),
    upsertGroup: (w) => groups.upsertGroup.get(w),
    participants: (s, g) => groups.participants.all(s, g),
    members: (s, g) => groups.members.all(s, g),
    upsertParticipant: (...a) => void groups.upsertParticipant.run(...a),
    deleteParticipant: (...a) => void groups.deleteParticipant.run(...a),
    insertMediaJob: (job) => void media.insertJob.run(job),
    mediaJob: (pk) => media.job.get(pk),
    setMediaJob: (...a) => void media.setJob.run(...a),
    dueMedia: (s, now, n) => media.due.all(s, now, n),
    nextMediaDue: (s) => media.nextDue.get(s),
    setMediaJson: (json, pk) => media.setMediaJson.get(json, pk),
    mediaRef: (...a) => void media.ref.run(...a),
    fillKinds: (...a) => void media.fillKinds.run(...a),
    upsertPoll: (...a) => void media.upsertPoll.run(...a),
    poll: (pk) => media.poll.get(pk),
    vote: (pk, v) => media.vote.get(pk, v),
    upsertVote: (...a) => void media.upsertVote.run(...a),
    votes: (pk) => media.votes.all(pk),
    setPollJson: (json, pk) => media.setPollJson.get(json, pk),
    queueAdd: (...a) => queue.add(...a),
    queueHead: (s) => queue.head(s),
    queueSize: (s) => queue.size(s),
    queueRemove: (pk) => queue.remove(pk),
    queueRetryLater: (...a) => queue.retryLater(...a),
    queueSessions: () => queue.sessionsWithWork(),
    authApply: (s, ops) => auth.apply(s, ops),
    append: (e, now) => appendNow(e, now),
  }
}
