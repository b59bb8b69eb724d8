import { ID_PATTERN } from './ids.js';
import { CONTROL_REPORT_STATUSES, FAIL_REASONS, REJECT_REASONS } from './schemas/control-report.js';

/**
 * A hand-compiled check equivalent to ControlReportSchema, for the collector's
 * hot path: a curtailment event brings two reports per agent at once, and zod's
 * object parse was most of their decode cost. Like telemetry-check.ts it only
 * answers "valid, and zod would return an equal copy" (no unknown keys); any
 * other payload goes through the schema, which stays the contract and words the errors.
 */
const STATUSES: ReadonlySet<unknown> = new Set(CONTROL_REPORT_STATUSES);
const REASONS: ReadonlySet<unknown> = new Set([...REJECT_REASONS, ...FAIL_REASONS]);

const isInt = (x: unknown, min: number): boolean => Number.isSafeInteger(x) && (x as number) >= min;
const isKw = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** True when `r` is a valid control report that ControlReportSchema would return unchanged. */
export function isPlainValidReport(r: Record<string, unknown>): boolean {
  for (const k in r) {
    switch (k) {
      case 'v': case 'site': case 'agent': case 'revision': case 'status': case 'reason': case 'detail': case 'achievedKw': case 'targetKw':
      case 'minersAsleep': case 'ts': case 'session': case 'seq': break;
      default: return false;
    }
  }
  if (r.v !== 1 || typeof r.site !== 'string' || !ID_PATTERN.test(r.site) || typeof r.agent !== 'string' || !ID_PATTERN.test(r.agent)) return false;
  if (!isInt(r.revision, 0) || !STATUSES.has(r.status) || !isInt(r.ts, 0)) return false;
  if (r.reason !== undefined && !REASONS.has(r.reason)) return false;
  if (r.detail !== undefined && (typeof r.detail !== 'string' || r.detail.length > 500)) return false;
  if (r.achievedKw !== undefined && r.achievedKw !== null && !isKw(r.achievedKw)) return false;
  if (r.targetKw !== undefined && r.targetKw !== null && !isKw(r.targetKw)) return false;
  if (r.minersAsleep !== undefined && !isInt(r.minersAsleep, 0)) return false;
  if ((r.session === undefined) !== (r.seq === undefined)) return false;
  if (r.session !== undefined && (!isInt(r.session, 0) || !isInt(r.seq, 1))) return false;
  return (r.status !== 'rejected' && r.status !== 'failed') || r.reason !== undefined;
}
