// The dashboard at `/`: three files bundled at build time (see src/dashboard/embed.ts), served with a CSP that
// allows nothing but this origin, so nothing is fetched from elsewhere and no inline script or style runs.
import { Elysia } from 'elysia'
import { dashboardAssets } from '../dashboard/embed.ts' with { type: 'macro' }

const assets = dashboardAssets()

// blob: for images, video and audio only: media is fetched with the Authorization header and shown from memory.
export const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'; object-src 'none'"

const headers = (type: string) => ({
  'content-type': type,
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
})

const serve = (body: string, type: string) => () => new Response(body, { headers: headers(type) })

export function dashboardRoutes() {
  return new Elysia({ name: 'dashboard' })
    .get('/', serve(assets.html, 'text/html; charset=utf-8'), { detail: { hide: true } })
    .get('/dashboard/app.js', serve(assets.js, 'text/javascript; charset=utf-8'), { detail: { hide: true } })
    .get('/dashboard/app.css', serve(assets.css, 'text/css; charset=utf-8'), { detail: { hide: true } })
}
