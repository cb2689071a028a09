// Page requests and results shared by every listing.

/** Missing or 0 → 50; otherwise clamped to 1–200 (the spec's rule). */
export function clampLimit(limit: number | undefined): number {
  if (!limit) return 50
  return Math.min(200, Math.max(1, Math.trunc(limit)))
}

export type Page<T> = { data: T[]; nextCursor: string | null }
