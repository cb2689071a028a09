// A client for the simulator's control API (src/simulator/control/), as tests and benchmarks script it.

export type SimControl = <T = any>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>

export function simControl(controlUrl: string): SimControl {
  return async (method, path, body) => {
    const res = await fetch(controlUrl + path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}
