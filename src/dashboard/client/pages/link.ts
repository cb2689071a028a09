// Link: the QR (drawn on a canvas from the PNG, refreshed on session.qr), a countdown, and the pairing-code form.
import { api, ApiError, esc, onEvent } from '../api.ts'
import { field, form, h, mount } from '../dom.ts'
import type { Page } from '../main.ts'

export const linkPage: Page = (ctx, [sid]) => {
  if (!sid) {
    mount(
      ctx.main,
      h('h1', {}, 'Link'),
      h('p', {}, 'Pick a session on the ', h('a', { href: '#/sessions' }, 'Sessions'), ' page.'),
    )
    return
  }
  const canvas = h('canvas', {
    id: 'qr',
    width: '320',
    height: '320',
    'aria-label': 'QR code to scan with WhatsApp',
    role: 'img',
  })
  const state = h('p', { id: 'link-state', 'aria-live': 'polite' }, 'Waiting for a QR…')
  const countdown = h('p', { id: 'qr-countdown', class: 'muted' })
  const code = h('output', { id: 'pairing-code', class: 'code' })
  let expiresAt = 0

  const draw = async () => {
    try {
      const meta = await api.get<{ qr: string; expiresAt: number }>(`/sessions/${esc(sid)}/qr`)
      const bitmap = await createImageBitmap(await api.blob(`/sessions/${esc(sid)}/qr`, 'image/png'))
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
      canvas.dataset.qr = meta.qr
      canvas.hidden = false
      expiresAt = meta.expiresAt
      state.textContent = 'Scan this code in WhatsApp: Settings → Linked devices → Link a device.'
    } catch (e) {
      // 409: no QR yet (starting) or any more (linked meanwhile); the next session.qr or status event says which.
      state.textContent = e instanceof ApiError && e.status === 409 ? 'Waiting for a QR…' : (e as Error).message
    }
  }
  const start = h('button', { type: 'button', hidden: true, id: 'link-start' }, 'Start and show the QR')
  start.onclick = () =>
    api
      .post(`/sessions/${esc(sid)}:start`)
      .then(() => ((start.hidden = true), (state.textContent = 'Starting… the QR appears here.')))
      .catch((e: Error) => (state.textContent = e.message))
  const showStatus = (s: { status: string; phone: string | null }) => {
    state.dataset.status = s.status
    start.hidden = !['stopped', 'logged_out', 'failed'].includes(s.status)
    canvas.hidden = !start.hidden
    if (!start.hidden) {
      state.textContent = `The session is ${s.status.replace('_', ' ')}: start it to get a QR.`
      expiresAt = 0
    }
    if (s.status === 'connected') {
      state.textContent = `Connected${s.phone ? ` as +${s.phone}` : ''}.`
      canvas.classList.add('done')
      expiresAt = 0
    }
  }
  const tick = setInterval(() => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
    countdown.textContent = expiresAt ? `This code expires in ${left} s` : ''
  }, 500)

  mount(
    ctx.main,
    h('h1', {}, 'Link'),
    h('p', { id: 'link-session', class: 'muted' }, `Session ${sid}`),
    state,
    h('p', {}, start),
    canvas,
    countdown,
    h('h2', {}, 'Or link with a pairing code'),
    form(
      { class: 'inline', 'aria-label': 'Request a pairing code' },
      async (data) => {
        const r = await api.post<{ code: string }>(`/sessions/${esc(sid)}:requestPairingCode`, {
          phone: String(data.get('phone')),
        })
        code.textContent = `Enter this code on the phone: ${r.code}`
      },
      field(
        'Phone number (international, digits)',
        h('input', { name: 'phone', required: true, inputmode: 'numeric', pattern: '\\+?[0-9]{6,15}' }),
      ),
      h('button', { type: 'submit' }, 'Get pairing code'),
    ),
    code,
  )
  api
    .get(`/sessions/${esc(sid)}`)
    .then((s) => {
      showStatus(s)
      if (['qr', 'starting'].includes(s.status)) void draw()
    })
    .catch((e: Error) => (state.textContent = e.message))
  const off = onEvent((e) => {
    if (e.sessionId !== sid) return
    if (e.type === 'session.qr') void draw()
    if (e.type === 'session.status') showStatus(e.data)
  })
  return () => {
    off()
    clearInterval(tick)
  }
}
