// Server side of WhatsApp's Noise XX handshake and the framed, AES-256-GCM transport that follows it — the mirror of
// Baileys' Utils/noise-handler.js. One instance per WebSocket.
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { proto } from '@whiskeysockets/baileys'
import { generateKeyPair, sharedKey, type CurveKeyPair, type Pki } from './pki.ts'

const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0')
const WA_HEADER = Buffer.from([87, 65, 6, 3])
const EMPTY = Buffer.alloc(0)

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

function iv(counter: number): Buffer {
  const out = Buffer.alloc(12)
  out.writeUInt32BE(counter, 8)
  return out
}

function gcmEncrypt(key: Buffer, counter: number, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv(counter))
  c.setAAD(aad)
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
}

function gcmDecrypt(key: Buffer, counter: number, ciphertext: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv(counter))
  d.setAAD(aad)
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()])
}

function hkdf64(ikm: Uint8Array, salt: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, EMPTY, 64))
  return [out.subarray(0, 32), out.subarray(32)]
}

export interface HandshakeResult {
  payload: proto.ClientPayload
  /** The client's Noise static public key (its creds.noiseKey.public). */
  clientStatic: Buffer
}

export class ServerNoise {
  private hash: Buffer = NOISE_MODE
  private salt: Buffer = NOISE_MODE
  private key: Buffer = NOISE_MODE
  private counter = 0
  private ephemeral: CurveKeyPair = generateKeyPair()
  private inBytes: Buffer = EMPTY
  private sawIntro = false
  private encKey: Buffer | null = null
  private decKey: Buffer | null = null
  private readCounter = 0
  private writeCounter = 0

  constructor(private readonly pki: Pki) {}

  get transportReady(): boolean {
    return this.encKey !== null
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(this.hash, data)
  }

  private mixIntoKey(data: Uint8Array): void {
    const [write, read] = hkdf64(data, this.salt)
    this.salt = write
    this.key = read
    this.counter = 0
  }

  private encryptHs(plaintext: Uint8Array): Buffer {
    const out = gcmEncrypt(this.key, this.counter++, plaintext, this.hash)
    this.authenticate(out)
    return out
  }

  private decryptHs(ciphertext: Uint8Array): Buffer {
    const out = gcmDecrypt(this.key, this.counter++, ciphertext, this.hash)
    this.authenticate(ciphertext)
    return out
  }

  /** Splits incoming bytes into frames; strips the one-time `WA\x06\x03` intro. */
  pushBytes(data: Uint8Array): Buffer[] {
    this.inBytes = this.inBytes.length ? Buffer.concat([this.inBytes, data]) : Buffer.from(data)
    if (!this.sawIntro) {
      if (this.inBytes.length < 4) return []
      if (this.inBytes.subarray(0, 4).equals(WA_HEADER)) {
        this.inBytes = this.inBytes.subarray(4)
      } else if (this.inBytes[0] === 0x45 && this.inBytes[1] === 0x44) {
        // 'ED' routing header: 4 bytes, 3-byte length, routing info, then the WA header.
        if (this.inBytes.length < 7) return []
        const len = (this.inBytes[4]! << 16) | this.inBytes.readUInt16BE(5)
        if (this.inBytes.length < 7 + len + 4) return []
        this.inBytes = this.inBytes.subarray(7 + len + 4)
      } else {
        throw new Error('bad intro header')
      }
      this.sawIntro = true
    }
    const frames: Buffer[] = []
    while (this.inBytes.length >= 3) {
      const size = (this.inBytes[0]! << 16) | (this.inBytes[1]! << 8) | this.inBytes[2]!
      if (this.inBytes.length < size + 3) break
      const frame = this.inBytes.subarray(3, size + 3)
      this.inBytes = this.inBytes.subarray(size + 3)
      frames.push(this.decKey ? this.decryptTransport(frame) : Buffer.from(frame))
    }
    return frames
  }

  /** ClientHello → ServerHello frame (already length-prefixed). */
  serverHello(clientHelloFrame: Uint8Array): Buffer {
    const hello = proto.HandshakeMessage.decode(clientHelloFrame)
    const clientEphemeral = hello.clientHello?.ephemeral
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new Error('missing client ephemeral')
    this.authenticate(WA_HEADER)
    this.authenticate(clientEphemeral)
    this.authenticate(this.ephemeral.pub)
    this.mixIntoKey(sharedKey(this.ephemeral.priv, clientEphemeral))
    const encStatic = this.encryptHs(this.pki.noiseStatic.pub)
    this.mixIntoKey(sharedKey(this.pki.noiseStatic.priv, clientEphemeral))
    const encPayload = this.encryptHs(this.pki.certChain)
    const out = proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.pub, static: encStatic, payload: encPayload },
    }).finish()
    return frame(out)
  }

  /** ClientFinish → the client's payload; switches to transport mode. */
  clientFinish(frameBytes: Uint8Array): HandshakeResult {
    const msg = proto.HandshakeMessage.decode(frameBytes)
    const fin = msg.clientFinish
    if (!fin?.static || !fin.payload) throw new Error('missing client finish')
    const clientStatic = this.decryptHs(fin.static)
    this.mixIntoKey(sharedKey(this.ephemeral.priv, clientStatic))
    const payload = proto.ClientPayload.decode(this.decryptHs(fin.payload))
    const [write, read] = hkdf64(EMPTY, this.salt)
    // The client encrypts with `write` and decrypts with `read`; the server is the mirror image.
    this.decKey = write
    this.encKey = read
    return { payload, clientStatic }
  }

  private decryptTransport(data: Uint8Array): Buffer {
    return gcmDecrypt(this.decKey!, this.readCounter++, data, EMPTY)
  }

  /** Encrypts one encoded binary node into a transport frame. */
  encodeFrame(plaintext: Uint8Array): Buffer {
    if (!this.encKey) throw new Error('transport not ready')
    return frame(gcmEncrypt(this.encKey, this.writeCounter++, plaintext, EMPTY))
  }
}

function frame(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(3 + data.length)
  out[0] = (data.length >>> 16) & 0xff
  out[1] = (data.length >>> 8) & 0xff
  out[2] = data.length & 0xff
  out.set(data, 3)
  return out
}
