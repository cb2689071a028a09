// Accounts named by phone or JID, for the issue-11 routes (groups, contacts) where a member or a contact may be given
// either way.
import { t } from 'elysia'
import { SimError, type SimContext } from '../context.ts'
import type { Account } from '../network.ts'

export const Ref = t.String({ minLength: 1, description: 'A phone number (digits) or a PN/LID JID' })

/** An account by phone number or by PN/LID JID. */
export function accountByRef(ctx: SimContext, ref: string): Account {
  const a = /^\d{6,15}$/.test(ref) ? ctx.net.accounts.get(ref) : ctx.net.resolve(ref)?.account
  if (!a) throw new SimError('not_found', `account ${ref} not found`)
  return a
}

/** A phone number becomes its PN JID; a JID stays as it is. */
export const toJid = (ref: string) => (/^\d{6,15}$/.test(ref) ? `${ref}@s.whatsapp.net` : ref)
