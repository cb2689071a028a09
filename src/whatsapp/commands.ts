// Outbound operations on a live Baileys socket: send text, channel create/follow/unfollow/mute/metadata.
import { generateMessageIDV2, jidNormalizedUser, type WAMessage, type WASocket } from '@whiskeysockets/baileys'
import { AppError } from '../errors.ts'
import type { MessageRecord } from './records.ts'
import type { Me } from './normalize.ts'

/** A stored message we can quote: enough to rebuild the `quoted` WAMessage Baileys needs. */
export type Quotable = { chatJid: string; waId: string; fromMe: boolean; senderJid: string | null; body: string | null }

/** `6281…` or a full JID → the JID WhatsApp expects. */
export function toJid(to: string): string {
  if (to.includes('@')) return jidNormalizedUser(to)
  const digits = to.replace(/\D/g, '')
  if (digits.length < 6 || digits.length > 15)
    throw new AppError('validation_error', 'to must be a phone number or JID')
  return `${digits}@s.whatsapp.net`
}

/** Wraps WhatsApp's refusal (a Boom or timeout) as our upstream error, keeping the status code. */
export async function upstream<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    if (e instanceof AppError) throw e
    const err = e as { message?: string; output?: { statusCode?: number } }
    throw new AppError('upstream_error', `${what} failed: ${err.message ?? String(e)}`, {
      status: err.output?.statusCode ?? null,
    })
  }
}

export type SendInput = { to: string; text: string; quoted?: Quotable | null; mentions?: string[] }

/** The record to store before sending: the id is chosen up front so the send and the stored row agree. */
export function plannedText(me: Me, input: SendInput, now: number): MessageRecord {
  const chatJid = toJid(input.to)
  return {
    chatJid,
    waId: generateMessageIDV2(me.jid ?? undefined),
    serverId: null,
    fromMe: true,
    senderJid: me.jid,
    senderLid: me.lid,
    senderName: null,
    type: 'text',
    body: input.text,
    media: null,
    mentions: (input.mentions ?? []).map(toJid),
    mentionNames: {},
    quotedId: input.quoted?.waId ?? null,
    status: 'pending',
    timestamp: now,
    undecryptable: false,
  }
}

export async function sendPlanned(sock: WASocket, planned: MessageRecord, quoted?: Quotable | null): Promise<void> {
  const quotedMsg: WAMessage | undefined = quoted
    ? {
        key: {
          remoteJid: quoted.chatJid,
          id: quoted.waId,
          fromMe: quoted.fromMe,
          ...(quoted.senderJid && !quoted.fromMe ? { participant: quoted.senderJid } : {}),
        },
        message: { conversation: quoted.body ?? '' },
      }
    : undefined
  await upstream('send', () =>
    sock.sendMessage(
      planned.chatJid,
      { text: planned.body ?? '', mentions: planned.mentions },
      { messageId: planned.waId, ...(quotedMsg ? { quoted: quotedMsg } : {}) },
    ),
  )
}

export type ChannelInfo = { jid: string; name: string | null; description: string | null; role: string | null }

export async function createChannel(sock: WASocket, name: string, description?: string): Promise<ChannelInfo> {
  const meta = await upstream('channel create', () => sock.newsletterCreate(name, description))
  if (!meta?.id) throw new AppError('upstream_error', 'channel create returned no id')
  return { jid: meta.id, name: meta.name ?? name, description: meta.description ?? description ?? null, role: 'owner' }
}

type RawMetadata = {
  name?: string
  description?: string
  thread_metadata?: { name?: { text?: string }; description?: { text?: string } }
  viewer_metadata?: { role?: string }
}

/** rc14 returns the raw GraphQL result here (thread_metadata / viewer_metadata), not the parsed type it declares. */
export async function channelMetadata(sock: WASocket, jid: string): Promise<ChannelInfo | null> {
  const meta = (await upstream('channel metadata', () => sock.newsletterMetadata('jid', jid))) as RawMetadata | null
  if (!meta) return null
  const thread = meta.thread_metadata
  return {
    jid,
    name: thread?.name?.text ?? meta.name ?? null,
    description: thread?.description?.text || meta.description || null,
    role: meta.viewer_metadata?.role?.toLowerCase() ?? null,
  }
}

export const followChannel = (sock: WASocket, jid: string) =>
  upstream('channel follow', () => sock.newsletterFollow(jid))
export const unfollowChannel = (sock: WASocket, jid: string) =>
  upstream('channel unfollow', () => sock.newsletterUnfollow(jid))
export const muteChannel = (sock: WASocket, jid: string, mute: boolean) =>
  upstream('channel mute', () => (mute ? sock.newsletterMute(jid) : sock.newsletterUnmute(jid)))
