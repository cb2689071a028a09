// The dashboard's media and channels in a real browser against the real gateway binary and the simulator: a file
// attached in the send box reaches the contact byte for byte, a contact's image is previewed inline (fetched with
// the Authorization header, shown from a blob: URL), and a followed channel's posts page with "Load more".
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { createHash } from 'node:crypto'
import QRCode from 'qrcode'
import { waitFor } from '../helpers/wait.ts'
import { startDashboard, type Dashboard } from './dashboard-harness.ts'

const ME = '6281400000011'
const DAVE = '6281400000012'
const EVE = '6281400000013'
const CHAT = `${DAVE}@s.whatsapp.net`

let d: Dashboard
let sid = ''
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
/** A real PNG (a QR code of `text`), so the browser can decode the preview. */
const png = (text: string) => QRCode.toBuffer(text, { type: 'png', width: 120 })

beforeAll(async () => {
  d = await startDashboard({ [ME]: 'Me', [DAVE]: 'Dave', [EVE]: 'Eve' })
  sid = await d.linkedSession('media', ME)
  await d.signIn(d.page, d.gw.key!)
  // The chat exists in the stored copy once Dave wrote.
  expect((await d.control('POST', `/accounts/${DAVE}/messages`, { to: ME, text: 'send me the chart' })).status).toBe(
    201,
  )
  await waitFor('the chat stored', async () => (await d.api('GET', `/sessions/${sid}/chats/${CHAT}`)).status === 200)
  await d.page.goto(`${d.gw.url}/#/chats/${encodeURIComponent(sid)}/${encodeURIComponent(CHAT)}`)
  await d.page.locator('#messages li.in', { hasText: 'send me the chart' }).waitFor({ timeout: 20_000 })
}, 90_000)

afterAll(() => d?.close())

it('sends an image attached in the send box, and the contact receives those bytes with the caption', async () => {
  const { page } = d
  await d.step('attach', async () => {
    const image = await png('the chart')
    await page.locator('#attach').setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: image })
    await page.locator('#attach-name', { hasText: 'chart.png' }).waitFor()
    await page.getByRole('textbox', { name: 'Message' }).fill('the chart')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('#messages li.out[data-type="image"]', { hasText: 'the chart' }).waitFor()
    const got = await waitFor('the image at the contact', async () => {
      const inbox = (await d.control('GET', `/accounts/${DAVE}/messages`)).body.data as any[]
      return inbox.find((m) => m.kind === 'image') ?? null
    })
    expect(got.media).toMatchObject({ mimetype: 'image/png', caption: 'the chart', sha256: sha(image) })
    expect(got.media.error).toBeUndefined()
    expect(await page.locator('#attach-name').textContent()).toBe('')
  })
}, 30_000)

it("shows a contact's image as an inline preview with the very bytes sent, and a download button", async () => {
  const { page } = d
  await d.step('preview', async () => {
    const image = await png('from dave')
    const sent = await d.control('POST', `/accounts/${DAVE}/messages`, {
      to: ME,
      image: { mimetype: 'image/png', caption: 'look at this', data: image.toString('base64') },
    })
    expect(sent.status).toBe(201)
    const bubble = page.locator(`#messages li.in[data-id="${sent.body.id}"]`)
    // Live: first the message (media pending), then message.media once the gateway stored the download.
    const img = bubble.locator('img.preview')
    await img.waitFor({ timeout: 20_000 })
    // `any`: the element lives in the browser; this file is typed without the DOM library.
    await waitFor('the preview decoded', () => img.evaluate((el: any) => el.complete && el.naturalWidth > 0))
    expect(await img.getAttribute('src')).toStartWith('blob:')
    // The decoded picture has the sent PNG's size (IHDR), and the gateway stored those very bytes.
    const size = await img.evaluate((el: any) => [el.naturalWidth, el.naturalHeight])
    expect(size).toEqual([image.readUInt32BE(16), image.readUInt32BE(20)])
    const stored = await d.api('GET', `/sessions/${sid}/chats/${encodeURIComponent(CHAT)}/messages/${sent.body.id}`)
    expect(stored.body.media).toMatchObject({ status: 'stored', sha256: sha(image), mimetype: 'image/png' })
    expect(await bubble.textContent()).toContain('look at this')
    await bubble.getByRole('button', { name: /^Download image-.*\.png \(image\/png, / }).waitFor()
    await d.shot('chat-media')
  })
}, 40_000)

it('follows a channel, pages its posts with Load more on the cursor, shows a new post live, and unfollows', async () => {
  const { page } = d
  await d.step('channels', async () => {
    const { jid } = (await d.control('POST', '/channels', { name: 'Eve news', owner: EVE })).body
    await page.getByRole('link', { name: 'Channels' }).click()
    await page.locator('#pick-session a', { hasText: 'media' }).click()
    const follow = page.getByRole('form', { name: 'Follow a channel' })
    await follow.getByLabel('Channel JID').fill(jid)
    await follow.getByRole('button', { name: 'Follow' }).click()
    const card = page.locator(`[data-channel="${jid}"]`)
    await card.getByText('following', { exact: false }).first().waitFor()
    expect((await d.control('GET', `/channels/${jid}`)).body.followers).toContain(ME)
    await card.locator('h2', { hasText: 'Eve news' }).waitFor()

    const texts = Array.from({ length: 22 }, (_, i) => `post ${i + 1}`)
    for (const text of texts) expect((await d.control('POST', `/channels/${jid}/posts`, { text })).status).toBe(201)
    await waitFor(
      'the 22 posts stored',
      async () => (await d.api('GET', `/sessions/${sid}/channels/${jid}/messages?limit=50`)).body.data.length === 22,
      20_000,
    )
    await card.getByRole('link', { name: 'Posts' }).click()
    const posts = page.locator('#posts > li[data-id]')
    await page.locator('#posts-more').waitFor() // 20 of 22 on the first page: the API returned a next cursor
    expect(await posts.count()).toBe(20)
    await page.locator('#posts-more').click()
    await page.locator('#posts-more').waitFor({ state: 'hidden' })
    expect(await posts.count()).toBe(22)
    expect((await posts.locator('p').allTextContents()).sort()).toEqual([...texts].sort())

    expect((await d.control('POST', `/channels/${jid}/posts`, { text: 'fresh news' })).status).toBe(201)
    await page.locator('#posts > li').first().filter({ hasText: 'fresh news' }).waitFor()
    await d.shot('channel-posts')

    await page.getByRole('link', { name: '← all channels' }).click()
    await card.getByRole('button', { name: 'Unfollow' }).click()
    await card.getByRole('button', { name: 'Follow', exact: true }).waitFor() // exact: 'Follow' is also a substring of 'Unfollow'
    expect((await d.control('GET', `/channels/${jid}`)).body.followers).not.toContain(ME)
    await d.shot('channels')
  })
}, 60_000)

it('made no request that left 127.0.0.1', () => {
  expect(d.requested.length).toBeGreaterThan(0)
  expect(d.offHost()).toEqual([])
})
