// The simulator's X.509 test PKI for its HTTPS media host: a fresh CA per simulator and a leaf for 127.0.0.1 and
// localhost. node-forge lays out the certificates (node:crypto cannot build one); node:crypto generates the keys and
// signs, natively (forge's pure-JS RSA took ~2 s per simulator). The gateway trusts the CA only when told to (`--wa-media-ca`, see
// src/whatsapp/media-ca.ts); nothing here touches global TLS settings.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import forge from 'node-forge'

export interface MediaTls {
  /** PEM of the CA certificate: what a client adds to its trusted roots. */
  caPem: string
  certPem: string
  keyPem: string
}

function rsaKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()), privateKey }
}

/** forge's `cert.sign`, with the RSA signature made by node:crypto. */
function signCert(cert: forge.pki.Certificate, key: KeyObject): void {
  cert.md = forge.md.sha256.create()
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!
  // getTBSCertificate is public in forge but missing from its .d.ts.
  const pki = forge.pki as typeof forge.pki & { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  cert.tbsCertificate = pki.getTBSCertificate(cert)
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary')
  cert.signature = sign('sha256', tbs, key).toString('binary')
}

function certificate(
  subject: string,
  pub: forge.pki.PublicKey,
  issuer: forge.pki.Certificate | undefined,
  extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = pub
  // Positive, 16 random bytes: what RFC 5280 asks of a serial.
  cert.serialNumber = '01' + randomBytes(15).toString('hex')
  const now = Date.now()
  cert.validity.notBefore = new Date(now - 3600_000)
  cert.validity.notAfter = new Date(now + 365 * 24 * 3600_000)
  cert.setSubject([{ name: 'commonName', value: subject }])
  cert.setIssuer(issuer ? issuer.subject.attributes : [{ name: 'commonName', value: subject }])
  cert.setExtensions(extensions)
  return cert
}

export function createMediaTls(): MediaTls {
  const ca = rsaKeys()
  const caCert = certificate('wagate simulator media CA', ca.pub, undefined, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  signCert(caCert, ca.privateKey)
  const leaf = rsaKeys()
  const leafCert = certificate('127.0.0.1', leaf.pub, caCert, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ])
  signCert(leafCert, ca.privateKey)
  return {
    caPem: forge.pki.certificateToPem(caCert),
    certPem: forge.pki.certificateToPem(leafCert),
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}
