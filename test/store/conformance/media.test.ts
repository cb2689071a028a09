// Media repository: files, references, orphans, uploads and retention behave the same on SQLite and PostgreSQL.
// media_files is shared by every session, so each test leaves no unreferenced file behind for the next.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: media', (name) => {
  const d = useDialect(name)

  it('a file recorded with its first reference is kept until its last reference goes, then taken once', async () => {
    const { media } = d().repos
    const { sessionId } = await d().tenant()
    await media.added('sha-a', 1_000, { sessionId, owner: 'message:1' }, 10)
    await media.ref('sha-a', sessionId, 'message:2', 11)
    await media.ref('sha-a', sessionId, 'message:2', 12)
    expect(await media.file('sha-a')).toEqual({ sha256: 'sha-a', size: 1_000 })
    expect(await d().scalar('SELECT count(*) FROM media_refs WHERE sha256 = ?', 'sha-a')).toBe(2)
    await media.unref('sha-a', sessionId, 'message:1')
    expect(await media.takeOrphans(100, 10)).toEqual([])
    await media.unref('sha-a', sessionId, 'message:2')
    expect(await media.takeOrphans(100, 10)).toEqual(['sha-a'])
    expect(await media.file('sha-a')).toBeNull()
    expect(await media.takeOrphans(100, 10)).toEqual([])
  })

  it('a file recorded without a reference is kept until keepUntil; recording it again never shortens that', async () => {
    const { media } = d().repos
    await media.added('sha-b', 5, null, 10, 1_000)
    await media.added('sha-b', 5, null, 20, 500)
    expect(await media.takeOrphans(999, 10)).toEqual([])
    expect(await media.takeOrphans(1_000, 10)).toEqual(['sha-b'])
  })

  it('takeOrphans takes at most `limit` files per call', async () => {
    const { media } = d().repos
    for (const s of ['sha-c1', 'sha-c2', 'sha-c3']) await media.added(s, 1, null, 10, 0)
    const first = await media.takeOrphans(10, 2)
    expect(first.length).toBe(2)
    const second = await media.takeOrphans(10, 2)
    expect([...first, ...second].sort()).toEqual(['sha-c1', 'sha-c2', 'sha-c3'])
  })

  it('an upload is recorded with its reference and found only in its session', async () => {
    const { media } = d().repos
    const a = await d().tenant()
    const b = await d().tenant()
    await media.added('sha-d', 2_048, null, 10, 0)
    const upload = {
      id: 'med_1',
      sessionId: a.sessionId,
      sha256: 'sha-d',
      mimetype: 'image/png',
      size: 2_048,
      filename: 'x.png',
      createdAt: 1_234,
    }
    await media.createUpload(upload)
    expect(await media.upload(a.sessionId, 'med_1')).toEqual(upload)
    expect(await media.upload(b.sessionId, 'med_1')).toBeNull()
    expect(await media.upload(a.sessionId, 'med_2')).toBeNull()
    expect(await d().query('SELECT owner FROM media_refs WHERE sha256 = ?', 'sha-d')).toEqual([
      { owner: 'upload:med_1' },
    ])
    expect(await media.takeOrphans(100, 10)).toEqual([])
  })

  it('expire drops references older than the cutoff: uploads are forgotten, message media becomes skipped', async () => {
    const { media } = d().repos
    const { sessionId } = await d().tenant()
    const json = '{"kind":"image","mimetype":"image/jpeg","status":"ready","size":3,"caption":"c"}'
    const pk = await d().insert(
      'messages',
      {
        session_id: sessionId,
        chat_jid: 'c@s.whatsapp.net',
        wa_id: 'W',
        from_me: false,
        type: 'image',
        status: 'delivered',
        timestamp: 1,
        media: json,
      },
      'pk',
    )
    await d().insert(
      'message_media',
      { message_pk: pk, session_id: sessionId, kind: 'image', status: 'done', updated_at: 1 },
      null,
    )
    await media.added('sha-e', 3, { sessionId, owner: `message:${pk}` }, 100)
    await media.createUpload({
      id: 'med_e',
      sessionId,
      sha256: 'sha-e',
      mimetype: 'image/jpeg',
      size: 3,
      filename: null,
      createdAt: 150,
    })
    await media.ref('sha-e', sessionId, 'message:999999', 300)

    expect(await media.expire(200, 5_000)).toBe(2)
    expect(await media.upload(sessionId, 'med_e')).toBeNull()
    expect(await d().query('SELECT status, error FROM message_media WHERE message_pk = ?', pk)).toEqual([
      { status: 'skipped', error: 'removed by retention' },
    ])
    expect(await d().scalar('SELECT updated_at FROM message_media WHERE message_pk = ?', pk)).toBe(5_000)
    expect(await d().query('SELECT media FROM messages WHERE pk = ?', pk)).toEqual([
      { media: '{"kind":"image","mimetype":"image/jpeg","status":"skipped","size":3,"caption":"c"}' },
    ])
    expect(await d().query('SELECT owner FROM media_refs WHERE sha256 = ?', 'sha-e')).toEqual([
      { owner: 'message:999999' },
    ])
    await media.unref('sha-e', sessionId, 'message:999999')
    expect(await media.takeOrphans(5_000, 10)).toEqual(['sha-e'])
  })

  it('expire adds the skipped status to media JSON that had none, and drops at most `limit` references', async () => {
    const { media } = d().repos
    const { sessionId } = await d().tenant()
    const pk = await d().insert(
      'messages',
      {
        session_id: sessionId,
        chat_jid: 'c@s.whatsapp.net',
        wa_id: 'V',
        from_me: false,
        type: 'image',
        status: 'delivered',
        timestamp: 1,
        media: '{"kind":"image"}',
      },
      'pk',
    )
    await media.added('sha-f', 1, { sessionId, owner: `message:${pk}` }, 100)
    for (let i = 0; i < 3; i++) await media.ref('sha-f', sessionId, `upload:none${i}`, 100)
    expect(await media.expire(200, 5_000, 3)).toBe(3)
    expect(await media.expire(200, 5_000, 3)).toBe(1)
    expect(await d().query('SELECT media FROM messages WHERE pk = ?', pk)).toEqual([
      { media: '{"kind":"image","status":"skipped"}' },
    ])
    expect(await media.takeOrphans(5_000, 10)).toEqual(['sha-f'])
  })

  it('deleting a session drops its references and uploads, leaving the file an orphan', async () => {
    const { media, sessions } = d().repos
    const { orgId, sessionId } = await d().tenant()
    await media.added('sha-g', 1, null, 10, 0)
    await media.createUpload({
      id: 'med_g',
      sessionId,
      sha256: 'sha-g',
      mimetype: 'text/plain',
      size: 1,
      filename: null,
      createdAt: 10,
    })
    expect(await media.takeOrphans(100, 10)).toEqual([])
    await sessions.delete(orgId, sessionId)
    expect(await d().scalar('SELECT count(*) FROM media_uploads WHERE id = ?', 'med_g')).toBe(0)
    expect(await media.takeOrphans(100, 10)).toEqual(['sha-g'])
  })
})
