// IQ fault switch: delay or fail the IQs a client sends, chosen by xmlns and/or type, optionally only `count` times.
export interface FaultRule {
  xmlns?: string
  type?: string
  action: 'delay' | 'fail'
  ms: number
  code: number
  /** Remaining applications; undefined = until DELETE /faults. */
  count?: number
}

export class Faults {
  private rules: FaultRule[] = []

  add(rule: FaultRule): void {
    this.rules.push(rule)
  }

  clear(): void {
    this.rules = []
  }

  list(): FaultRule[] {
    return [...this.rules]
  }

  /** The first rule matching this IQ, consuming one of its applications. */
  take(xmlns: string | undefined, type: string | undefined): FaultRule | undefined {
    const i = this.rules.findIndex((r) => (!r.xmlns || r.xmlns === xmlns) && (!r.type || r.type === type))
    if (i < 0) return undefined
    const rule = this.rules[i]!
    if (rule.count !== undefined && --rule.count <= 0) this.rules.splice(i, 1)
    return rule
  }
}
