// Outbound operations on a live Baileys socket (sends are in outbound.ts): channel create/follow/unfollow/mute/metadata.
import type { WASocket } from '@whiskeysockets/baileys'
import { AppError } from '../errors.ts'
import { upstreamError } from './upstream.ts'

/** Runs one request to WhatsApp; its refusal (a Boom or timeout) becomes our upstream error (upstream.ts). */
export async function upstream<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    throw upstreamError(what, e)
  }
}

export type ChannelInfo = { jid: string; name: string | null; description: string | null; role: string | null }

export async function createChannel(sock: WASocket, name: string, description?: string): Promise<ChannelInfo> {
  const meta = await upstream('channel create', () => sock.newsletterCreate(name, description))
  if (!meta?.id) throw new AppError('upstream_error', 'WhatsApp did not return the new channel', { status: null })
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
