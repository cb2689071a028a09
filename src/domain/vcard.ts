// vCards (RFC 6350, as WhatsApp sends them in contact messages): the few fields the API shows.

export type VcardFields = { name: string | null; phones: string[]; org: string | null }

/** Unfolds continuation lines and unescapes `\,` `\;` `\n`. */
const unescape = (v: string) => v.replace(/\\n/gi, '\n').replace(/\\([,;\\])/g, '$1')

/** FN (or N), every TEL (its value, else its `waid` parameter as +digits) and ORG of a vCard. */
export function parseVcard(vcard: string): VcardFields {
  const lines = vcard.replace(/\r?\n[ \t]/g, '').split(/\r?\n/)
  const out: VcardFields = { name: null, phones: [], org: null }
  let n: string | null = null
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const [rawName, ...params] = line.slice(0, colon).split(';')
    const prop = rawName!.replace(/^item\d+\./i, '').toUpperCase()
    const value = unescape(line.slice(colon + 1).trim())
    if (prop === 'FN' && value) out.name = value
    else if (prop === 'N' && value) n = value.split(';').filter(Boolean).reverse().join(' ')
    else if (prop === 'ORG' && value) out.org = value.split(';').filter(Boolean).join(', ')
    else if (prop === 'TEL') {
      const waid = params.map((p) => /^waid=(\d+)$/i.exec(p)?.[1]).find(Boolean)
      const phone = value || (waid ? `+${waid}` : '')
      if (phone) out.phones.push(phone)
    }
  }
  out.name ??= n
  return out
}
