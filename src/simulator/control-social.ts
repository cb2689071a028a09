// The control routes of issue 11 (groups, contacts and presence, chats as the phone sees them), as one Elysia
// instance the control API mounts.
import { Elysia } from 'elysia'
import type { SimContext } from './context.ts'
import { contactControl } from './control-contacts.ts'
import { groupControl } from './control-groups.ts'

export function socialControl(ctx: SimContext) {
  return new Elysia().use(groupControl(ctx)).use(contactControl(ctx))
}
