import { describe, expect, it } from 'bun:test'
import { toJid } from '../../src/domain/jid.ts'
import { AppError } from '../../src/errors.ts'

describe('toJid', () => {
  it('turns a bare phone number into its phone-number JID', () => {
    expect(toJid('6281234567890')).toBe('6281234567890@s.whatsapp.net')
  })

  it('drops the leading + of a phone number', () => {
    expect(toJid('+6281234567890')).toBe('6281234567890@s.whatsapp.net')
  })

  it('refuses a phone number shorter than 6 or longer than 15 digits with validation_error', () => {
    for (const to of ['12345', '1234567890123456']) {
      expect(() => toJid(to)).toThrow(new AppError('validation_error', 'to must be a phone number or JID'))
    }
  })

  it('refuses a phone number with spaces, dashes or letters', () => {
    for (const to of ['+62 812 345', '62-812-3456', '62812abc', '', '+']) {
      expect(() => toJid(to)).toThrow(AppError)
    }
  })

  it('keeps a normalised person JID as it is', () => {
    expect(toJid('6281234567890@s.whatsapp.net')).toBe('6281234567890@s.whatsapp.net')
    expect(toJid('123456789012345@lid')).toBe('123456789012345@lid')
  })

  it('drops the device and agent parts of a person JID', () => {
    expect(toJid('6281234567890:12@s.whatsapp.net')).toBe('6281234567890@s.whatsapp.net')
    expect(toJid('6281234567890_1:3@s.whatsapp.net')).toBe('6281234567890@s.whatsapp.net')
    expect(toJid('123456789012345:7@lid')).toBe('123456789012345@lid')
  })

  it('maps the legacy @c.us server to @s.whatsapp.net', () => {
    expect(toJid('6281234567890@c.us')).toBe('6281234567890@s.whatsapp.net')
  })

  it('keeps group and channel JIDs as they are', () => {
    expect(toJid('120363041234567890@g.us')).toBe('120363041234567890@g.us')
    expect(toJid('6281234567890-1600000000@g.us')).toBe('6281234567890-1600000000@g.us')
    expect(toJid('120363012345678901@newsletter')).toBe('120363012345678901@newsletter')
  })

  it('refuses a JID without a user or a server, or with two @', () => {
    for (const to of ['@s.whatsapp.net', '628123456@', 'a@b@c', ':1@s.whatsapp.net']) {
      expect(() => toJid(to)).toThrow(AppError)
    }
  })
})
