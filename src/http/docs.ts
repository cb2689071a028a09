// /docs: Swagger UI from the pinned swagger-ui-dist package, embedded in the binary as text, so the docs work on
// an offline server and no third-party script runs where operators paste their keys. The page's own start-up
// code is a served file too, so the CSP needs no inline script.
import { Elysia } from 'elysia'
import bundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' }
import css from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' }

// Swagger UI sets inline styles and draws icons from data: URLs; scripts come only from this origin.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wagate API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`

// validatorUrl: null, or Swagger UI would load a badge from validator.swagger.io.
const start =
  "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null })\n"

function asset(body: string, type: string) {
  return () =>
    new Response(body, {
      headers: {
        'content-type': type,
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'public, max-age=3600',
      },
    })
}

/** The docs UI and its assets (hidden from the OpenAPI document itself). */
export function docsRoutes(enabled: boolean) {
  if (!enabled) return new Elysia({ name: 'wagate-docs' })
  const hide = { detail: { hide: true } }
  return new Elysia({ name: 'wagate-docs' })
    .get('/docs', asset(page, 'text/html; charset=utf-8'), hide)
    .get('/docs/swagger-ui-bundle.js', asset(bundle, 'text/javascript; charset=utf-8'), hide)
    .get('/docs/swagger-ui.css', asset(css, 'text/css; charset=utf-8'), hide)
    .get('/docs/start.js', asset(start, 'text/javascript; charset=utf-8'), hide)
}
