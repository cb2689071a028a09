// Chats as an account's phone sees them (archived, pinned, mutedUntil, unreadCount), the phone's own chat actions
// (each becomes an app-state patch its linked clients pull after a server_sync), and the app-state versions/LTHashes
// per collection, to compare with what a client stored.
import { Elysia, t } from 'elysia'
import type { ChatModification } from '@whiskeysockets/baileys'
import type { SimContext } from '../context.ts'
import type { Account } from '../network.ts'
import { accountOf, PhoneParams, splitVerb } from './shared.ts'

const VERBS = ['archive', 'unarchive', 'pin', 'unpin', 'mute', 'unmute', 'markRead', 'markUnread', 'delete'] as const
type Verb = (typeof VERBS)[number]

export function chatRoutes(ctx: SimContext) {
  const views = ctx.appState.views
  /** Group messages other members posted, per group the account is in (ms timestamps). */
  const groupTimes = (a: Account) => {
    const out = new Map<string, number[]>()
    for (const g of ctx.groups.participating(a)) {
      out.set(
        g.jid,
        g.messages.filter((m) => m.from !== a.jid).map((m) => m.timestamp),
      )
    }
    return out
  }
  const row = (a: Account, jid: string) => views.list(a, groupTimes).find((c) => c.jid === views.key(jid))

  const modification = (a: Account, jid: string, verb: Verb, until: number | undefined): ChatModification => {
    // The phone names no message range: outside the initial sync Baileys applies the action without one.
    const lastMessages: [] = []
    switch (verb) {
      case 'archive':
      case 'unarchive':
        return { archive: verb === 'archive', lastMessages }
      case 'pin':
      case 'unpin':
        return { pin: verb === 'pin' }
      case 'mute':
        return { mute: until ?? -1 }
      case 'unmute':
        return { mute: null }
      case 'markRead':
      case 'markUnread':
        return { markRead: verb === 'markRead', lastMessages }
      case 'delete':
        return { delete: true, lastMessages }
    }
  }

  return new Elysia({ prefix: '/accounts/:phone' })
    .get('/chats', ({ params }) => ({ data: views.list(accountOf(ctx, params.phone), groupTimes) }), {
      params: PhoneParams,
    })
    .post(
      '/chats/:jidVerb',
      async ({ params, body }) => {
        const a = accountOf(ctx, params.phone)
        const { id: jid, verb } = splitVerb(params.jidVerb, 'jid', VERBS)
        await ctx.appState.phoneModify(a, modification(a, jid, verb, body?.until), jid)
        return row(a, jid) ?? { jid, deleted: true }
      },
      {
        params: t.Object({ phone: PhoneParams.properties.phone, jidVerb: t.String({ minLength: 1 }) }),
        body: t.Optional(t.Object({ until: t.Optional(t.Integer({ description: 'mute end, epoch ms' })) })),
      },
    )
    .get('/app-state', ({ params }) => ctx.appState.versions(accountOf(ctx, params.phone)), { params: PhoneParams })
}
