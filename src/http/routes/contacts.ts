// Contacts (stored copy, found by PN or LID), number checks, pictures, blocks and presence.
import { Elysia, t } from 'elysia'
import { Contact, PhoneCheck } from '../../domain/contact.ts'
import { AppError, notFound } from '../../errors.ts'
import { authPlugin } from '../auth.ts'
import { customMethods } from '../custom-methods.ts'
import type { HttpDeps } from '../deps.ts'
import { errors, ownSession, PageOf, pageOf, PageQuery, pathId } from '../shared.ts'

const Phone = t.String({ pattern: '^\\+?[0-9][0-9 ()-]{4,20}$', description: 'International number' })
const isUserJid = (jid: string) => /^[0-9]{5,20}(:[0-9]+)?@(s\.whatsapp\.net|lid)$/.test(jid)

const docs = {
  list: "A page of the session's contacts from the stored copy (address book, push names, PN↔LID mapping).",
  get:
    'One stored contact by its phone-number JID (`…@s.whatsapp.net`) or its LID (`…@lid`): both answer the ' +
    'same contact once WhatsApp told us the mapping. Requires `read`.',
  picture: 'The profile picture URL; `404` when there is none or it is hidden from this number.',
  presence:
    'Marks this number `available` or `unavailable` (online) for its contacts. `409` while WhatsApp has not ' +
    'told the session its push name (WhatsApp Web sends no presence without one). Requires `send`.',
}

const contactJid = (value: string | null | undefined) => {
  const jid = pathId(value, 'jid')
  if (!isUserJid(jid)) throw notFound('contact')
  return jid
}

const collectionMethods = customMethods({
  check: {
    operationId: 'checkPhones',
    summary: 'Check numbers on WhatsApp',
    description:
      'Which numbers are on WhatsApp (up to 500 per call): `{phone, exists, jid, lid}` for each, in the order ' +
      'asked. Asked in batches; answers are reused for 5 minutes. Requires `send`.',
    body: t.Object({ phones: t.Array(Phone, { minItems: 1, maxItems: 500 }) }),
    responses: { 200: t.Object({ data: t.Array(PhoneCheck) }) },
  },
})

const contactMethods = customMethods({
  block: {
    operationId: 'blockContact',
    summary: 'Block a contact',
    description: 'Blocks the contact on WhatsApp; stored once WhatsApp accepted it. Requires `send`.',
    responses: { 204: t.Void() },
  },
  unblock: {
    operationId: 'unblockContact',
    summary: 'Unblock a contact',
    description: 'Unblocks the contact on WhatsApp; stored once WhatsApp accepted it. Requires `send`.',
    responses: { 204: t.Void() },
  },
  subscribePresence: {
    operationId: 'subscribeContactPresence',
    summary: "Subscribe to a contact's presence",
    description:
      "Asks WhatsApp for the contact's presence, which then arrives as `presence.updated` events. Requires `send`.",
    responses: { 204: t.Void() },
  },
})

export function contactRoutes({ repos, engine, authenticate }: HttpDeps) {
  const { sessions, contacts } = repos
  const live = { ...errors, 409: 'error' as const, 502: 'error' as const }

  return new Elysia({ prefix: '/api/v1/sessions/:sid', tags: ['contacts'] })
    .use(authPlugin(authenticate))
    .model({ contact: Contact, 'contact.page': PageOf(Contact) })
    .get(
      '/contacts',
      async ({ principal, params, query }) =>
        contacts.page((await ownSession(sessions, principal, params.sid)).id, pageOf(query)),
      {
        auth: 'read',
        query: PageQuery,
        response: { 200: 'contact.page', ...errors },
        detail: { operationId: 'listContacts', summary: 'List contacts', description: docs.list },
      },
    )
    .get(
      '/contacts/:jid',
      async ({ principal, params }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const contact = await contacts.get(session.id, contactJid(params.jid))
        if (!contact) throw notFound('contact')
        return contact
      },
      {
        auth: 'read',
        response: { 200: 'contact', ...errors },
        detail: { operationId: 'getContact', summary: 'Get a contact', description: docs.get },
      },
    )
    .post(
      '/contacts:*',
      async ({ principal, params, body }) => {
        const session = await ownSession(sessions, principal, params.sid)
        collectionMethods.verb(params)
        return { data: await engine.checkPhones(session.id, body.phones) }
      },
      {
        auth: 'send',
        body: collectionMethods.methods.check.body,
        response: { 200: collectionMethods.methods.check.responses[200], ...live },
        detail: { summary: 'Contact collection methods', ...collectionMethods.detail },
      },
    )
    .get(
      '/contacts/:jid/picture',
      async ({ principal, params }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const url = await engine.contactPicture(session.id, contactJid(params.jid))
        if (!url) throw notFound('picture')
        return { url }
      },
      {
        auth: 'read',
        response: { 200: t.Object({ url: t.String() }), ...live },
        detail: {
          operationId: 'getContactPicture',
          summary: "Get a contact's profile picture",
          description: docs.picture,
        },
      },
    )
    .post(
      '/contacts/:jid',
      async ({ principal, params, set }) => {
        const { id, verb } = contactMethods.split(params.jid, 'jid')
        const session = await ownSession(sessions, principal, params.sid)
        const jid = contactJid(id)
        if (verb === 'subscribePresence') await engine.subscribePresence(session.id, jid)
        else await engine.setBlocked(session.id, jid, verb === 'block')
        set.status = 204
      },
      {
        auth: 'send',
        response: { 204: t.Void(), ...live },
        detail: { summary: 'Contact methods', ...contactMethods.detail },
      },
    )
    .post(
      '/presence',
      async ({ principal, params, body, set }) => {
        await engine.setPresence((await ownSession(sessions, principal, params.sid)).id, body.state)
        set.status = 204
      },
      {
        auth: 'send',
        body: t.Object({ state: t.Union([t.Literal('available'), t.Literal('unavailable')]) }),
        response: { 204: t.Void(), ...live },
        detail: { operationId: 'setPresence', summary: "Set this number's presence", description: docs.presence },
      },
    )
}
