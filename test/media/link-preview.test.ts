// Link preview parts: the URL taken from a text and the meta tags read from a page's head.
import { describe, expect, it } from 'bun:test'
import { extractMeta, firstUrl } from '../../src/media/link-preview.ts'

describe('firstUrl', () => {
  it('takes the first http(s) URL without the punctuation that ends the sentence', () => {
    expect(firstUrl('see https://example.com/a?b=1, then http://x.test')).toBe('https://example.com/a?b=1')
    expect(firstUrl('(https://example.com/page).')).toBe('https://example.com/page')
  })

  it('finds none in a text without an http(s) URL', () => {
    expect(firstUrl('mail me at a@b.c or ftp://files.test')).toBeNull()
  })
})

describe('extractMeta', () => {
  it('prefers og: tags, in either attribute order and quoting, decoding entities', () => {
    const html = `<html><head><title>Plain</title>
      <meta content='A &quot;quoted&quot; title' property='og:title'>
      <META NAME="description" CONTENT="the description">
      <meta property="og:image" content="https://cdn.test/i.jpg?a=1&amp;b=2"></head><body>`
    expect(extractMeta(html)).toEqual({
      title: 'A "quoted" title',
      description: 'the description',
      image: 'https://cdn.test/i.jpg?a=1&b=2',
    })
  })

  it('falls back to twitter: tags, then to <title>', () => {
    expect(extractMeta('<head><meta name="twitter:title" content="Tw"></head>').title).toBe('Tw')
    expect(extractMeta('<head><title>  Page\n  title &ndash; site </title></head>')).toEqual({
      title: 'Page title – site',
      description: null,
      image: null,
    })
  })

  it('ignores meta tags in the body, where a page cannot be trusted to describe itself', () => {
    const html = '<head><title>Head</title></head><body><meta property="og:title" content="Injected"></body>'
    expect(extractMeta(html).title).toBe('Head')
  })

  it('caps each field at 300 characters', () => {
    const html = `<head><meta property="og:description" content="${'d'.repeat(1000)}"></head>`
    expect(extractMeta(html).description).toHaveLength(300)
  })
})
