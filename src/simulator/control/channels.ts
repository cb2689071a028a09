// Channels (newsletters): create one, view its followers and mutes, post to its followers.
import { Elysia, t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import { accountOf, pathParam, Phone } from './shared.ts'

const JidParams = t.Object({ jid: t.String({ minLength: 1 }) })

export function channelRoutes(ctx: SimContext) {
  const channel = (jid: string | null) => {
    const c = ctx.channels.byJid.get(pathParam(jid, 'jid'))
    if (!c) throw new SimError('not_found', `channel ${jid} not found`)
    return c
  }

  return new Elysia({ prefix: '/channels' })
    .post(
      '',
      ({ body, set }) => {
        const owner = body.owner === undefined ? undefined : accountOf(ctx, body.owner)
        const c = ctx.channels.create({ name: body.name, description: body.description, owner })
        set.status = 201
        return { jid: c.jid }
      },
      { body: t.Object({ name: t.String(), description: t.Optional(t.String()), owner: t.Optional(Phone) }) },
    )
    .get(
      '/:jid',
      ({ params }) => {
        const c = channel(params.jid)
        return {
          jid: c.jid,
          name: c.name,
          description: c.description,
          owner: c.owner?.phone ?? null,
          followers: [...c.followers],
          muted: [...c.muted],
        }
      },
      { params: JidParams },
    )
    .post(
      '/:jid/posts',
      ({ params, body, set }) => {
        const post = ctx.channels.post(channel(params.jid), body.text)
        set.status = 201
        return { id: post.id, serverId: post.serverId }
      },
      { params: JidParams, body: t.Object({ text: t.String() }) },
    )
}
