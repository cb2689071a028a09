// IQ faults on demand: delay or fail the IQs a client sends, chosen by xmlns and/or type.
import { Elysia, t } from 'elysia'
import type { SimContext } from '../context.ts'

const Count = t.Integer({ minimum: 0 })

export function faultRoutes(ctx: SimContext) {
  return new Elysia({ prefix: '/faults' })
    .get('', () => ({ data: ctx.faults.list() }))
    .post(
      '',
      ({ body, set }) => {
        const rule = {
          xmlns: body.xmlns,
          type: body.type,
          action: body.action,
          ms: body.ms ?? 1000,
          code: body.code ?? 500,
          count: body.count,
        }
        ctx.faults.add(rule)
        set.status = 201
        return rule
      },
      {
        body: t.Object({
          xmlns: t.Optional(t.String()),
          type: t.Optional(t.String()),
          action: t.Union([t.Literal('delay'), t.Literal('fail')]),
          ms: t.Optional(Count),
          code: t.Optional(Count),
          count: t.Optional(Count),
        }),
      },
    )
    .delete('', () => {
      ctx.faults.clear()
      return { cleared: true }
    })
}
