// One ingest logic, two drivers. The ingest steps (ingest*.ts) are generators that `yield` statement requests
// (`const row = (yield q.chatByJid(sid, jid)) as R<'chatByJid'>`) instead of calling statements: the SQLite driver answers each
// request at once with a bun:sqlite prepared statement, inside the one synchronous transaction of the batch (no
// await, nothing can interleave, the same speed), and the PostgreSQL driver awaits the same request on the
// transaction's connection inside `fenced()`. What differs per dialect is only the statement set: `Ops`, implemented
// by store/ingest-sql.ts (SQLite) and store/pg/ingest.ts (PostgreSQL). Every row an op answers has the SQLite shape
// (flags 0/1, times and ids as numbers), so the steps compare values the same way on both.
import type { NewEvent } from '../domain/event.ts'
import type { OutboundContent } from '../domain/outbound.ts'
import type { AuthOp } from '../store/auth-state-sql.ts'
import type { ChannelRow } from '../store/channels.ts'
import type { ChatRow } from '../store/chats.ts'
import type { StoredEvent } from '../store/events.ts'
import type { GroupRow, ParticipantRow } from '../store/groups.ts'
import type { GroupWrite } from '../store/groups-sql.ts'
import type { NewMessageRow, SessionRow } from '../store/ingest-sql.ts'
import type { DueJob, MediaJobRow } from '../store/media-sql.ts'
import type { MessageRow } from '../store/messages.ts'
import type { QueuedSend } from '../store/outbound.ts'

export type ContactRow = {
  id: number
  jid: string | null
  lid: string | null
  name: string | null
  notify: string | null
}
export type LastMessage = {
  chat_jid: string
  wa_id: string
  from_me: number
  sender_jid: string | null
  sender_lid: string | null
  timestamp: number
}
export type Quotable = {
  chat_jid: string
  wa_id: string
  from_me: number
  sender_jid: string | null
  body: string | null
}
export type MediaJobWrite = Omit<MediaJobRow, 'attempts' | 'error'> & { updated_at: number }
type N = string | null

/** Every statement the engine's write path runs, with SQLite-shaped arguments and rows. */
export type Ops = {
  // messages
  insertMessage(row: NewMessageRow): MessageRow | null
  messageByKey(sessionId: string, chatJid: string, waId: string): (MessageRow & { server_id: number | null }) | null
  messageByServerId(sessionId: string, chatJid: string, serverId: number): { pk: number } | null
  messageByWaId(sessionId: string, waId: string, fromMe: number): (MessageRow & { reactions: string }) | null
  replaceContent(row: Omit<NewMessageRow, 'created_at'> & { pk: number }): MessageRow | null
  setMessage(
    pk: number,
    status: string,
    ackLevel: number,
    error: N,
    body: N,
    edited: number,
    deleted: number,
    reactions: string,
  ): MessageRow | null
  messageByPk(pk: number): MessageRow | null
  countUndecryptable(sessionId: string): void
  messageForGet(sessionId: string, waId: string, fromMe: number): { body: N; type: string } | null
  quotable(sessionId: string, waId: string): Quotable | null
  lastMessages(sessionId: string, chatJid: string, limit: number): LastMessage[]
  // chats
  chatByJid(sessionId: string, jid: string): ChatRow | null
  upsertChat(
    sessionId: string,
    jid: string,
    type: string,
    name: N,
    unread: number,
    archived: number,
    pinnedAt: number,
    mutedUntil: number | null,
    lastMessageAt: number,
    now: number,
  ): ChatRow | null
  /**
   * A stored message's effect on its chat, in one statement: created if new; `unread` added and `lastMessageAt`
   * raised to the message's time, written only when either changes. No row read, none returned.
   */
  bumpChat(sessionId: string, jid: string, type: string, unread: number, lastMessageAt: number, now: number): void
  /** The chat as the API serves it (display name, LID): what chat events carry. */
  chatView(id: number): ChatRow | null
  chatViewByJid(sessionId: string, jid: string): ChatRow | null
  pnOfLid(sessionId: string, lid: string): { jid: string } | null
  moveMessages(sessionId: string, lid: string, pn: string): void
  dropMessages(sessionId: string, chatJid: string): void
  rekeyChat(id: number, jid: string, now: number): void
  removeChat(id: number): void
  setMergedChat(
    id: number,
    name: N,
    unread: number,
    archived: number,
    pinnedAt: number,
    mutedUntil: number | null,
    lastMessageAt: number,
    now: number,
  ): void
  deleteChat(sessionId: string, jid: string): ChatRow | null
  // contacts
  contactBy(sessionId: string, jid: N, lid: N): ContactRow[]
  contactName(sessionId: string, jid: string, lid: string): { name: N; notify: N } | null
  insertContact(sessionId: string, jid: N, lid: N, name: N, notify: N, verifiedName: N, now: number): void
  updateContact(id: number, jid: N, lid: N, name: N, notify: N, verifiedName: N, now: number): void
  deleteContact(id: number): void
  setBlocked(sessionId: string, jid: string, blocked: number, now: number): { id: number }[]
  insertBlocked(sessionId: string, jid: N, lid: N, blocked: number, now: number): void
  mappingOf(sessionId: string, id: string): { jid: N; lid: N } | null
  // channels
  channelByJid(sessionId: string, jid: string): ChannelRow | null
  upsertChannel(
    sessionId: string,
    jid: string,
    name: N,
    description: N,
    role: N,
    following: number,
    muted: number,
    lastPostAt: number | null,
    now: number,
  ): ChannelRow | null
  // sessions
  sessionById(id: string): SessionRow | null
  setSession(id: string, set: Partial<Omit<SessionRow, 'id' | 'orgId'>>, now: number): SessionRow | null
  runningSessions(): { id: string }[]
  // groups
  groupByJid(sessionId: string, jid: string): GroupRow | null
  upsertGroup(w: GroupWrite & { session_id: string; now: number }): GroupRow | null
  /** Members as stored (ids exactly as WhatsApp named them). */
  participants(sessionId: string, groupJid: string): ParticipantRow[]
  /** Members for the API (other id filled from contacts). */
  members(sessionId: string, groupJid: string): ParticipantRow[]
  upsertParticipant(sessionId: string, groupJid: string, jid: string, lid: N, pn: N, admin: N): void
  deleteParticipant(sessionId: string, groupJid: string, jid: string): void
  // media jobs and polls
  insertMediaJob(job: MediaJobWrite): void
  mediaJob(pk: number): MediaJobRow | null
  setMediaJob(
    pk: number,
    status: string,
    attempts: number,
    nextAttemptAt: number,
    error: N,
    directPath: N,
    url: N,
    now: number,
  ): void
  dueMedia(sessionId: string, now: number, limit: number): DueJob[]
  nextMediaDue(sessionId: string): { at: number | null } | null
  setMediaJson(json: string, pk: number): MessageRow | null
  mediaRef(sha256: string, sessionId: string, owner: string, now: number): void
  fillKinds(location: N, contacts: N, poll: N, pk: number): void
  upsertPoll(pk: number, secret: Uint8Array | null, options: string): void
  poll(pk: number): { secret: Uint8Array | null; options: string } | null
  vote(pk: number, voter: string): { timestamp: number; options: string } | null
  upsertVote(pk: number, voter: string, options: string, timestamp: number): void
  votes(pk: number): { voter: string; options: string }[]
  setPollJson(json: string, pk: number): MessageRow | null
  // the send queue
  queueAdd(sessionId: string, chatJid: string, waId: string, content: OutboundContent, now: number): number
  queueHead(sessionId: string): QueuedSend | null
  queueSize(sessionId: string): number
  queueRemove(pk: number): void
  queueRetryLater(pk: number, attempts: number, error: string, notBefore: number): void
  queueSessions(): string[]
  // auth state (the decrypt's key writes, committed with the message)
  authApply(sessionId: string, ops: AuthOp[]): void
  // the outbox
  append(e: NewEvent, now: number): StoredEvent | null
}

export type OpName = keyof Ops
/** What an op answers. */
export type R<K extends OpName> = ReturnType<Ops[K]>

/** A statement request: the driver runs `op(...args)` and resumes the step with its answer. */
export class Req {
  constructor(
    readonly op: OpName,
    readonly args: unknown[],
  ) {}
}

/**
 * A unit of ingest logic, run to completion by either driver. It yields a statement request (`yield q.op(...)`,
 * answered with what `Ops[op]` answers: annotate it `as R<'op'>`) or another step (`yield subStep(...)`, answered
 * with that step's return value). The driver keeps the stack of running steps itself: `yield*` delegation would pass
 * every statement through every enclosing step, which cost the SQLite store ingest a third more CPU per message.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- what a yield answers depends on what was yielded
export type Step<T> = Generator<Req | Step<unknown>, T, any>
/** The statement set as requests: `yield q.chatByJid(sid, jid)`. */
export type Q = { [K in OpName]: (...args: Parameters<Ops[K]>) => Req }

// Listed so the compiler checks that every op has its step (a missing or extra name does not compile).
const opNames: Record<OpName, 0> = {
  insertMessage: 0,
  messageByKey: 0,
  messageByServerId: 0,
  messageByWaId: 0,
  replaceContent: 0,
  setMessage: 0,
  messageByPk: 0,
  countUndecryptable: 0,
  messageForGet: 0,
  quotable: 0,
  lastMessages: 0,
  chatByJid: 0,
  upsertChat: 0,
  bumpChat: 0,
  chatView: 0,
  chatViewByJid: 0,
  pnOfLid: 0,
  moveMessages: 0,
  dropMessages: 0,
  rekeyChat: 0,
  removeChat: 0,
  setMergedChat: 0,
  deleteChat: 0,
  contactBy: 0,
  contactName: 0,
  insertContact: 0,
  updateContact: 0,
  deleteContact: 0,
  setBlocked: 0,
  insertBlocked: 0,
  mappingOf: 0,
  channelByJid: 0,
  upsertChannel: 0,
  sessionById: 0,
  setSession: 0,
  runningSessions: 0,
  groupByJid: 0,
  upsertGroup: 0,
  participants: 0,
  members: 0,
  upsertParticipant: 0,
  deleteParticipant: 0,
  insertMediaJob: 0,
  mediaJob: 0,
  setMediaJob: 0,
  dueMedia: 0,
  nextMediaDue: 0,
  setMediaJson: 0,
  mediaRef: 0,
  fillKinds: 0,
  upsertPoll: 0,
  poll: 0,
  vote: 0,
  upsertVote: 0,
  votes: 0,
  setPollJson: 0,
  queueAdd: 0,
  queueHead: 0,
  queueSize: 0,
  queueRemove: 0,
  queueRetryLater: 0,
  queueSessions: 0,
  authApply: 0,
  append: 0,
}

export const q = Object.fromEntries(
  Object.keys(opNames).map((op) => [op, (...args: unknown[]) => new Req(op as OpName, args)]),
) as unknown as Q

type Fn = (...args: unknown[]) => unknown

/** Runs a step synchronously, answering each request with `ops` at once (inside the caller's SQLite transaction). */
export function runSync<T>(step: Step<T>, ops: Ops): T {
  const fns = ops as unknown as Record<OpName, Fn>
  const stack: Step<unknown>[] = []
  let cur: Step<unknown> = step
  let answer: unknown
  for (;;) {
    const r = cur.next(answer)
    if (r.done) {
      const caller = stack.pop()
      if (!caller) return r.value as T
      cur = caller
      answer = r.value
    } else if (r.value instanceof Req) {
      answer = fns[r.value.op].apply(ops, r.value.args)
    } else {
      stack.push(cur)
      cur = r.value
      answer = undefined
    }
  }
}

/** The statement set of an asynchronous dialect: each op gets the transaction context `C` first. */
export type AsyncOps<C> = { [K in OpName]: (c: C, ...args: Parameters<Ops[K]>) => Promise<ReturnType<Ops[K]>> }

/** Runs a step awaiting each request on `c` (a PostgreSQL transaction); one request at a time, in order. */
export async function runAsync<T, C>(step: Step<T>, ops: AsyncOps<C>, c: C): Promise<T> {
  const fns = ops as unknown as Record<OpName, (c: C, ...args: unknown[]) => Promise<unknown>>
  const stack: Step<unknown>[] = []
  let cur: Step<unknown> = step
  let answer: unknown
  for (;;) {
    const r = cur.next(answer)
    if (r.done) {
      const caller = stack.pop()
      if (!caller) return r.value as T
      cur = caller
      answer = r.value
    } else if (r.value instanceof Req) {
      answer = await fns[r.value.op](c, ...r.value.args)
    } else {
      stack.push(cur)
      cur = r.value
      answer = undefined
    }
  }
}

/**
 * An event's dedupe key: its type, then a time the change carries in every replay (the message's timestamp from
 * WhatsApp, a vote's or a reaction's own), then what names the change. Led by the time, keys arrive in about time
 * order and the outbox's unique index on them grows at its end; led by the message id, every append landed on a
 * random page of an index as large as the outbox, and the event insert cost 13–17 µs more per message at 1M
 * messages than at the start of the inbound soak.
 */
export const dedupeKey = (type: string, at: number, ...names: (string | number)[]) => `${type}:${at}:${names.join(':')}`
