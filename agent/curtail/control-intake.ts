/**
 * Whether to take a received control (pure): signature on the payload as
 * received, target, revision (never backwards; the same one is a no-op) and
 * validity window. The order matters: nothing about an unsigned or badly
 * signed payload is believed, not even its revision.
 */
import type { KeyObject } from 'node:crypto';
import { controlEnd, type Control, type DecodeResult } from '../../shared/protocol/index.js';
import { verifyPayload } from '../../shared/signing/control-signing.js';

export type RejectReason = 'unsigned' | 'bad_signature' | 'stale' | 'expired' | 'invalid' | 'wrong_target';

export interface TrustedKey {
  key: KeyObject;
  /** ms since epoch; after it the key is no longer trusted (end of a rotation window). */
  notAfter?: number;
}

export type Intake =
  | { verdict: 'accept'; control: Control; raw: Record<string, unknown> }
  | { verdict: 'reject'; revision: number; reason: RejectReason; detail: string }
  | { verdict: 'same' };

function revisionOf(raw: unknown): number {
  const r = (raw as { revision?: unknown } | null)?.revision;
  return typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : 0;
}

export function evaluateControl(
  result: DecodeResult,
  bytes: Uint8Array | string,
  ctx: { keys: readonly TrustedKey[]; currentRevision: number | null; now: number },
): Intake {
  if (!result.ok) {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      raw = undefined;
    }
    return {
      verdict: 'reject',
      revision: revisionOf(raw),
      reason: result.error.reason === 'identity_mismatch' ? 'wrong_target' : 'invalid',
      detail: result.error.message.slice(0, 500),
    };
  }
  const message = result.message;
  if (message.kind !== 'control') return { verdict: 'reject', revision: 0, reason: 'invalid', detail: `not a control: ${message.kind}` };
  const control = message.payload;
  const trusted = ctx.keys.filter((k) => k.notAfter === undefined || ctx.now <= k.notAfter).map((k) => k.key);
  const verified = verifyPayload(message.raw, trusted);
  if (!verified.ok) return { verdict: 'reject', revision: control.revision, reason: verified.reason, detail: verified.message };
  if (ctx.currentRevision !== null) {
    if (control.revision === ctx.currentRevision) return { verdict: 'same' };
    if (control.revision < ctx.currentRevision) {
      return { verdict: 'reject', revision: control.revision, reason: 'stale', detail: `revision ${control.revision} is older than ${ctx.currentRevision} in force` };
    }
  }
  const end = controlEnd(control);
  if (end <= ctx.now) {
    return { verdict: 'reject', revision: control.revision, reason: 'expired', detail: `valid until ${new Date(end).toISOString()}, which has passed` };
  }
  return { verdict: 'accept', control, raw: message.raw };
}
