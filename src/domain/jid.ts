// Where the API's `to` (and mention) values become the JID WhatsApp expects. The one place with these rules.
import { AppError } from '../errors.ts'

/** Servers of a person's JID, whose device (`:12`) and agent (`_1`) parts name a device, not the person. */
const USER_SERVERS = new Set(['s.whatsapp.net', 'c.us', 'lid'])

/**
 * `6281…`, `+6281…` or a JID → the normalised JID WhatsApp expects.
 *
 * - a phone number is 6–15 digits with an optional leading `+` (E.164 without spaces or dashes) and becomes
 *   `<digits>@s.whatsapp.net`;
 * - a person's JID loses its device and agent parts (`628…:12@s.whatsapp.net` → `628…@s.whatsapp.net`), and the
 *   legacy `@c.us` becomes `@s.whatsapp.net` (as Baileys' `jidNormalizedUser` does);
 * - any other JID (`…@g.us`, `…@newsletter`) is kept as it is;
 * - anything else is a `validation_error`.
 *
 * @example toJid('+6281234567890') // '6281234567890@s.whatsapp.net'
 */
export function toJid(to: string): string {
  const at = to.indexOf('@')
  if (at < 0) {
    if (!/^\+?[0-9]{6,15}$/.test(to)) throw invalid()
    return `${to.replace(/^\+/, '')}@s.whatsapp.net`
  }
  const user = to.slice(0, at)
  const server = to.slice(at + 1)
  if (!user || !server || server.includes('@')) throw invalid()
  if (!USER_SERVERS.has(server)) return to
  const person = user.split(':')[0]!.split('_')[0]!
  if (!person) throw invalid()
  return `${person}@${server === 'c.us' ? 's.whatsapp.net' : server}`
}

const invalid = () => new AppError('validation_error', 'to must be a phone number or JID')
