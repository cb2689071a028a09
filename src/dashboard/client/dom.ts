// A tiny DOM builder: elements from tag, attributes and children; text always as text nodes (never HTML).
type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | boolean | number | ((e: Event) => void) | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

/** Replaces the children of `el`. */
export const mount = (el: Element, ...children: (Child | Child[])[]) => {
  el.replaceChildren()
  append(el, children)
}

function append(el: Element, children: (Child | Child[])[]) {
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c))
}

export const time = (ms: number | null) => (ms ? new Date(ms).toLocaleString() : '—')

/** A form whose submit runs `fn` with its fields; errors are shown in words next to it. */
export function form(attrs: Attrs, fn: (data: FormData, f: HTMLFormElement) => Promise<void>, ...children: Child[]) {
  const err = h('p', { class: 'error', role: 'alert' })
  const f = h('form', attrs, ...children, err)
  f.addEventListener('submit', async (e) => {
    e.preventDefault()
    err.textContent = ''
    const button = f.querySelector('button[type=submit]') as HTMLButtonElement | null
    if (button) button.disabled = true
    try {
      await fn(new FormData(f), f)
    } catch (x) {
      err.textContent = x instanceof Error ? x.message : String(x)
    } finally {
      if (button) button.disabled = false
    }
  })
  return f
}

export const field = (label: string, input: HTMLElement) => h('label', {}, h('span', {}, label), input)
