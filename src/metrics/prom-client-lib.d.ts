// The prom-client modules registry.ts imports one by one (prom-client ships types for its index only): each is the
// same class or function the index exports.
declare module 'prom-client/lib/registry' {
  export { Registry as default } from 'prom-client'
}
declare module 'prom-client/lib/counter' {
  export { Counter as default } from 'prom-client'
}
declare module 'prom-client/lib/gauge' {
  export { Gauge as default } from 'prom-client'
}
declare module 'prom-client/lib/histogram' {
  export { Histogram as default } from 'prom-client'
}
declare module 'prom-client/lib/defaultMetrics' {
  export { collectDefaultMetrics as default } from 'prom-client'
}
