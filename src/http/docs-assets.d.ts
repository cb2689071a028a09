// swagger-ui-dist's files, imported `with { type: 'text' }` by docs.ts: their text, embedded in the binary.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string
  export default text
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string
  export default text
}
