// Channels (newsletters): the w:mex GraphQL queries Baileys rc14's newsletter functions send (by query id), the
// `newsletter` xmlns IQs (message_updates, live_updates), and posts delivered as plaintext <message server_id> stanzas
// to every linked device of every follower (queued for offline devices).
import { randomBytes, randomInt } from 'node:crypto'
import { getBinaryNodeChild, proto, QueryIds, type BinaryNode } from '@whiskeysockets/baileys'
import type { Delivery } from './delivery.ts'
import { messageId, nowSeconds, type Account, type Network } from './network.ts'

export interface Post {
  id: string
  serverId: number
  text: string
  t: number
}

export interface Channel {
  jid: string
  name: string
  description: string
  owner?: Account
  invite: string
  createdAt: number
  followers: Set<string>
  muted: Set<string>
  posts: Post[]
  nextServerId: number
}

/** A GraphQL error in the shape Baileys' executeWMexQuery turns into a Boom. */
class MexError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message)
  }
}

export class Channels {
  readonly byJid = new Map<string, Channel>()

  constructor(
    private readonly net: Network,
    private readonly delivery: Delivery,
  ) {}

  /** A post a linked client of the channel's owner sends: its server id, or undefined if refused. */
  clientPost(author: Account, jid: string, text: string): number | undefined {
    const channel = this.byJid.get(jid)
    if (!channel || channel.owner !== author) return undefined
    return this.post(channel, text).serverId
  }

  create(input: { name: string; description?: string; owner?: Account }): Channel {
    let jid: string
    do jid = `1203630${randomInt(10_000_000, 99_999_999)}${randomInt(100, 999)}@newsletter`
    while (this.byJid.has(jid))
    const channel: Channel = {
      jid,
      name: input.name,
      description: input.description ?? '',
      owner: input.owner,
      invite: randomBytes(9).toString('base64url'),
      createdAt: nowSeconds(),
      followers: new Set(),
      muted: new Set(),
      posts: [],
      nextServerId: 100,
    }
    this.byJid.set(jid, channel)
    return channel
  }

  post(channel: Channel, text: string): Post {
    const post: Post = { id: messageId(), serverId: channel.nextServerId++, text, t: nowSeconds() }
    channel.posts.push(post)
    const node = this.postNode(channel, post)
    for (const phone of channel.followers) {
      const account = this.net.accounts.get(phone)
      if (!account) continue
      for (const device of account.devices.values()) this.delivery.enqueue(device, { kind: 'raw', id: post.id, node })
    }
    return post
  }

  private postNode(channel: Channel, post: Post): BinaryNode {
    return {
      tag: 'message',
      attrs: { id: post.id, from: channel.jid, server_id: String(post.serverId), t: String(post.t), type: 'text' },
      content: [{ tag: 'plaintext', attrs: {}, content: proto.Message.encode({ conversation: post.text }).finish() }],
    }
  }

  private metadata(channel: Channel, viewer: Account | undefined): Record<string, unknown> {
    const role =
      viewer && channel.owner === viewer
        ? 'OWNER'
        : viewer && channel.followers.has(viewer.phone)
          ? 'SUBSCRIBER'
          : 'GUEST'
    return {
      id: channel.jid,
      state: { type: 'ACTIVE' },
      thread_metadata: {
        creation_time: String(channel.createdAt),
        name: { text: channel.name, id: '1', update_time: String(channel.createdAt) },
        description: { text: channel.description, id: '1', update_time: String(channel.createdAt) },
        invite: channel.invite,
        subscribers_count: String(channel.followers.size),
        verification: 'UNVERIFIED',
        picture: { id: '', direct_path: '', type: 'IMAGE' },
        preview: { id: '', direct_path: '', type: 'PREVIEW' },
        settings: { reaction_codes: { value: 'ALL' } },
      },
      viewer_metadata: { mute: viewer && channel.muted.has(viewer.phone) ? 'ON' : 'OFF', role },
    }
  }

  private find(jid: unknown): Channel {
    const channel = typeof jid === 'string' ? this.byJid.get(jid) : undefined
    if (!channel) throw new MexError('newsletter not found', 404)
    return channel
  }

  /** Answers a `w:mex` IQ: `<result>` carrying GraphQL JSON. */
  mex(viewer: Account | undefined, iq: BinaryNode): BinaryNode[] {
    const q = getBinaryNodeChild(iq, 'query')
    const queryId = q?.attrs.query_id
    let variables: Record<string, unknown> = {}
    try {
      const raw = q?.content instanceof Uint8Array ? Buffer.from(q.content).toString() : String(q?.content ?? '{}')
      variables = (JSON.parse(raw) as { variables?: Record<string, unknown> }).variables ?? {}
    } catch {
      // Malformed JSON gets a GraphQL error below.
    }
    let body: unknown
    try {
      body = { data: this.mexData(viewer, queryId, variables) }
    } catch (err) {
      const e = err instanceof MexError ? err : new MexError(String(err), 400)
      body = { errors: [{ message: e.message, extensions: { error_code: e.code } }] }
    }
    return [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify(body)) }]
  }

  private mexData(viewer: Account | undefined, queryId: string | undefined, v: Record<string, unknown>): unknown {
    const idOf = () => this.find(v.newsletter_id)
    const need = () => {
      if (!viewer) throw new MexError('not logged in', 401)
      return viewer
    }
    switch (queryId) {
      case QueryIds.CREATE: {
        const input = (v.input ?? {}) as { name?: string; description?: string | null }
        if (!input.name) throw new MexError('name required', 400)
        const channel = this.create({ name: input.name, description: input.description ?? '', owner: need() })
        return { xwa2_newsletter_create: this.metadata(channel, viewer) }
      }
      case QueryIds.METADATA: {
        const input = (v.input ?? {}) as { key?: string; type?: string }
        const channel =
          input.type === 'INVITE'
            ? [...this.byJid.values()].find((c) => c.invite === input.key)
            : this.byJid.get(String(input.key))
        if (!channel) throw new MexError('newsletter not found', 404)
        return { xwa2_newsletter: this.metadata(channel, viewer) }
      }
      case QueryIds.FOLLOW: {
        const channel = idOf()
        channel.followers.add(need().phone)
        return { xwa2_newsletter_join_v2: { id: channel.jid } }
      }
      case QueryIds.UNFOLLOW: {
        const channel = idOf()
        channel.followers.delete(need().phone)
        channel.muted.delete(need().phone)
        return { xwa2_newsletter_leave_v2: { id: channel.jid } }
      }
      case QueryIds.MUTE: {
        const channel = idOf()
        channel.muted.add(need().phone)
        return { xwa2_newsletter_mute_v2: { id: channel.jid, mute: 'ON' } }
      }
      case QueryIds.UNMUTE: {
        const channel = idOf()
        channel.muted.delete(need().phone)
        return { xwa2_newsletter_unmute_v2: { id: channel.jid, mute: 'OFF' } }
      }
      case QueryIds.SUBSCRIBERS:
        return { xwa2_newsletter_subscribers: { subscribers_count: String(idOf().followers.size) } }
      case QueryIds.ADMIN_COUNT:
        return { xwa2_newsletter_admin: { admin_count: 1 } }
      case QueryIds.UPDATE_METADATA: {
        const channel = idOf()
        const updates = (v.updates ?? {}) as { name?: string; description?: string }
        if (typeof updates.name === 'string') channel.name = updates.name
        if (typeof updates.description === 'string') channel.description = updates.description
        return { xwa2_newsletter_update: this.metadata(channel, viewer) }
      }
      case QueryIds.DELETE: {
        const channel = idOf()
        this.byJid.delete(channel.jid)
        return { xwa2_newsletter_delete_v2: { id: channel.jid } }
      }
      case QueryIds.REACHOUT_TIMELOCK:
        return { xwa2_fetch_account_reachout_timelock: { is_active: false, enforcement_type: 'DEFAULT' } }
      case QueryIds.MESSAGE_CAPPING_INFO:
        return { xwa2_message_capping_info: { quota: 1000, used: 0 } }
      default:
        throw new MexError(`unknown query id ${queryId}`, 400)
    }
  }

  /** Answers `xmlns=newsletter` IQs: message_updates (fetch posts) and live_updates (subscribe). */
  newsletterIq(iq: BinaryNode): BinaryNode[] | undefined {
    const channel = this.byJid.get(iq.attrs.to ?? '')
    if (getBinaryNodeChild(iq, 'live_updates')) return [{ tag: 'live_updates', attrs: { duration: '300' } }]
    const updates = getBinaryNodeChild(iq, 'message_updates')
    if (updates) {
      const count = Math.max(1, Number(updates.attrs.count ?? 20))
      const after = Number(updates.attrs.after ?? 0)
      const posts = (channel?.posts ?? []).filter((p) => !after || p.serverId > after).slice(-count)
      return [
        {
          tag: 'message_updates',
          attrs: {},
          content: [
            {
              tag: 'messages',
              attrs: { jid: iq.attrs.to ?? '' },
              content: channel ? posts.map((p) => this.postNode(channel, p)) : [],
            },
          ],
        },
      ]
    }
    return undefined
  }
}
