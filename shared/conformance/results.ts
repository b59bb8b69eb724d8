import type { Requirement } from './requirements.js';

export type Verdict = 'pass' | 'fail' | 'skip';

export interface Outcome {
  id: string;
  text: string;
  section: string;
  verdict: Verdict;
  detail: string;
}

/** Collects one verdict per requirement; the first verdict given stands (a later step cannot turn a fail into a pass). */
export class Results {
  private readonly outcomes = new Map<string, Outcome>();

  constructor(private readonly requirements: readonly Requirement[]) {}

  set(id: string, verdict: Verdict, detail = ''): void {
    if (this.outcomes.has(id)) return;
    const req = this.requirements.find((q) => q.id === id);
    if (!req) throw new Error(`unknown requirement ${id}`);
    this.outcomes.set(id, { ...req, verdict, detail });
  }

  pass(id: string, detail = ''): void {
    this.set(id, 'pass', detail);
  }

  fail(id: string, detail: string): void {
    this.set(id, 'fail', detail);
  }

  has(id: string): boolean {
    return this.outcomes.has(id);
  }

  /** Every requirement in table order; one never reached is a fail ("not reached"), not a silent gap. */
  all(): Outcome[] {
    return this.requirements.map((q) => this.outcomes.get(q.id) ?? { ...q, verdict: 'fail' as const, detail: 'not reached (an earlier step stopped the run)' });
  }

  get passed(): boolean {
    return this.all().every((o) => o.verdict !== 'fail');
  }
}

/** The pass/fail table the CLI prints: requirement, result, spec section, detail. */
export function renderTable(outcomes: readonly Outcome[]): string {
  const rows = outcomes.map((o) => [o.id, o.verdict.toUpperCase(), `docs/protocol.md#${o.section}`, o.detail || o.text]);
  const head = ['requirement', 'result', 'spec section', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const failed = outcomes.filter((o) => o.verdict === 'fail').length;
  const skipped = outcomes.filter((o) => o.verdict === 'skip').length;
  const summary = `${outcomes.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`;
  return [line(head), ...rows.map(line), '', summary, ''].join('\n');
}
