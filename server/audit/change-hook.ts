/**
 * One change to the registry (a site or a company) made through the API: what it
 * was, what it became, who made it. The collector calls `onChange` (an option of
 * createCollector) with every one, after the write committed; an audit log plugs in
 * there. `before` is null for a creation, `after` null for a deletion.
 */
import type { Actor } from './audit-log.js';

export interface RegistryChange {
  entity: 'site' | 'company';
  id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  by: string;
  /** Who in full (kind, name, address), for the audit log; `by` is its name. */
  actor?: Actor;
  at: number;
}

export type ChangeHook = (change: RegistryChange) => void;
