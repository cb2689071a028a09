// Request bodies produced as they are read, counting what the server pulled: a test can tell that a request was
// answered before its whole body was read.

const CHUNK = 64 * 1024

/** `size` bytes of a repeating pattern, made chunk by chunk on demand. */
export function lazyBytes(size: number, prefix: Uint8Array = new Uint8Array(), suffix: Uint8Array = new Uint8Array()) {
  let pulled = 0
  let sent = 0
  const total = prefix.length + size + suffix.length
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      let chunk: Uint8Array
      if (pulled === 0 && prefix.length) chunk = prefix
      else if (sent < size) {
        chunk = new Uint8Array(Math.min(CHUNK, size - sent)).fill(0x5a)
        sent += chunk.length
      } else if (suffix.length && pulled < total) chunk = suffix
      else return c.close()
      pulled += chunk.length
      c.enqueue(chunk)
    },
  })
  return { body, total, pulled: () => pulled }
}

/** A multipart/form-data body: the text `fields`, then a `file` part of `size` bytes made on demand. */
export function lazyMultipart(fields: Record<string, string>, file: { name: string; type: string; size: number }) {
  const boundary = 'lazyboundary7MA4YWxkTrZu0gW'
  const text = Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('')
  const head =
    `${text}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
    `Content-Type: ${file.type}\r\n\r\n`
  const enc = new TextEncoder()
  const lazy = lazyBytes(file.size, enc.encode(head), enc.encode(`\r\n--${boundary}--\r\n`))
  return { ...lazy, contentType: `multipart/form-data; boundary=${boundary}` }
}
