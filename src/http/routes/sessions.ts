// Sessions: CRUD over the stored session rows, and lifecycle custom methods on the live engine.
import { Elysia, t } from 'elysia'
import QRCode from 'qrcode'
import { Value } from '@sinclair/typebox/value'
import { SendPacing } from '../../domain/outbound.ts'
import { Session } from '../../domain/session.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

// Declared as Unknown and checked by hand: Elysia's coercion turns a string into an indexed object for t.Object/t.Record.
const Metadata = t.Unknown({ description: 'Free-form JSON object kept with the session' })

function metadataOf(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AppError('validation_error', 'metadata must be a JSON object', { field: 'metadata' })
  if (JSON.stringify(value).length > 16_384)
    throw new AppError('validation_error', 'metadata exceeds 16 KiB', { field: 'metadata' })
  const pacing = (value as Record<string, unknown>).sendPacing
  if (pacing !== undefined && !Value.Check(SendPacing, pacing))
    throw new AppError('validation_error', 'metadata.sendPacing takes minGapMs, jitterMs (ms) and typing', {
      field: 'metadata.sendPacing',
    })
  return value as Record<string, unknown>
}

const Name = t.String({ minLength: 1, maxLength: 100 })
const Phone = t.String({ pattern: '^\\+?[0-9]{6,15}$', description: 'International number, digits only' })

/** A lifecycle method: no body, answers the session. */
const changes = (operationId: string, summary: string, description: string) => ({
  operationId,
  summary,
  description: `${description} Returns the session. Requires \`manage\`.`,
  responses: { 200: Session },
})

const lifecycle = customMethods({
  start: changes(
    'startSession',
    'Start a session',
    'Connects to WhatsApp: a new one waits for a QR scan or a pairing code.',
  ),
  stop: changes(
    'stopSession',
    'Stop a session',
    'Disconnects and keeps the credentials: `:start` resumes without a new link.',
  ),
  restart: changes('restartSession', 'Restart a session', 'Closes the connection and connects again.'),
  logout: changes('logoutSession', 'Log a session out', 'Unlinks the device from the phone and wipes the credentials.'),
  requestPairingCode: {
    operationId: 'requestPairingCode',
    summary: 'Request a pairing code',
    description: 'Link by phone number instead of a QR: returns `{code}` to type on the phone.',
    body: t.Object({ phone: Phone }),
    responses: { 200: t.Object({ code: t.String() }) },
  },
})

export function sessionRoutes({ repos, engine, authenticate, media }: HttpDeps) {
  const { sessions } = repos
  const conflict = { ...errors, 409: 'error' as const }

  return new Elysia({ prefix: '/api/v1/sessions', tags: ['sessions'] })
    .use(authPlugin(authenticate))
    .post(
      '',
      async ({ principal, body, set }) => {
        const metadata = metadataOf(body.metadata)
        const session = await sessions.create({
          orgId: principal.orgId,
          name: body.name,
          ...(metadata ? { metadata } : {}),
        })
        if (body.start) await engine.start(session.id)
        set.status = 201
        return (await sessions.byId(session.id)) ?? session
      },
      {
        auth: 'manage',
        body: t.Object({ name: Name, metadata: t.Optional(Metadata), start: t.Optional(t.Boolean()) }),
        response: { 201: Session, ...errors },
        detail: {
          operationId: 'createSession',
          summary: 'Create a session',
          description: 'Creates a session (status `stopped` unless start).',
        },
      },
    )
    .get('', ({ principal, query }) => sessions.page(principal.orgId, pageOf(query)), {
      auth: 'read',
      query: PageQuery,
      response: { 200: PageOf(Session), ...errors },
      detail: {
        operationId: 'listSessions',
        summary: 'List sessions',
        description: "The organisation's sessions, newest first.",
      },
    })

    .get('/:sid', ({ principal, params }) => ownSession(sessions, principal, params.sid), {
      auth: 'read',
      response: { 200: Session, ...errors },
      detail: {
        operationId: 'getSession',
        summary: 'Get a session',
        description: 'Live status, phone, JID, LID and push name.',
      },
    })
    .patch(
      '/:sid',
      async ({ principal, params, body }) => {
        const metadata = metadataOf(body.metadata)
        const patch = { ...(body.name !== undefined ? { name: body.name } : {}), ...(metadata ? { metadata } : {}) }
        const updated = await sessions.update(principal.orgId, pathId(params.sid, 'sid'), patch)
        if (!updated) throw notFound('session')
        return updated
      },
      {
        auth: 'manage',
        body: t.Object({ name: t.Optional(Name), metadata: t.Optional(Metadata) }, { minProperties: 1 }),
        response: { 200: Session, ...errors },
        detail: { operationId: 'updateSession', summary: 'Update a session' },
      },
    )
    .delete(
      '/:sid',
      async ({ principal, params, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        await engine.remove(session.id)
        await sessions.delete(principal.orgId, session.id)
        // Its media references went with it (cascade): delete the files no other session holds.
        await media?.store.sweep()
        set.status = 204
      },
      {
        auth: 'manage',
        response: { 204: t.Void(), ...errors },
        detail: {
          operationId: 'deleteSession',
          summary: 'Delete a session',
          description: 'Closes it and removes its stored copy, and the media files no other session references.',
        },
      },
    )
    .get(
      '/:sid/qr',
      async ({ principal, params, request, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const qr = await engine.qr(session.id)
        if (!qr) throw new AppError('conflict', 'session is not waiting for a QR scan', { status: session.status })
        if ((request.headers.get('accept') ?? '').includes('image/png')) {
          set.headers['content-type'] = 'image/png'
          return new Uint8Array(await QRCode.toBuffer(qr.qr, { type: 'png', margin: 2, width: 320 }))
        }
        return qr
      },
      {
        auth: 'manage',
        response: {
          200: t.Union([t.Object({ qr: t.String(), expiresAt: t.Integer() }), t.Uint8Array({ description: 'PNG' })]),
          ...conflict,
        },
        detail: {
          operationId: 'getSessionQr',
          summary: 'Get the QR to scan',
          description: 'JSON, or image/png when asked by Accept.',
        },
      },
    )
    .post(
      '/:sid',
      async ({ principal, params, body, set }) => {
        const { id, verb } = lifecycle.split(params.sid, 'sid')
        const session = await ownSession(sessions, principal, id)
        switch (verb) {
          case 'start':
            await engine.start(session.id)
            break
          case 'stop':
            await engine.stop(session.id)
            break
          case 'restart':
            await engine.restart(session.id)
            break
          case 'logout':
            await engine.logout(session.id)
            break
          case 'requestPairingCode': {
            const phone = body?.phone
            if (!phone) throw new AppError('validation_error', 'phone is required', { field: 'phone' })
            set.status = 200
            return engine.requestPairingCode(session.id, phone.replace(/^\+/, ''))
          }
        }
        return (await sessions.byId(session.id)) ?? session
      },
      {
        auth: 'manage',
        body: t.Optional(t.Nullable(t.Object({ phone: t.Optional(Phone) }))),
        response: { 200: t.Union([Session, t.Object({ code: t.String() })]), ...conflict },
        detail: { summary: 'Session lifecycle', ...lifecycle.detail },
      },
    )
}
