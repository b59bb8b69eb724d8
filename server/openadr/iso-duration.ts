import { AppError } from '../../shared/errors.js';

// openadr3.yaml components/schemas/duration: ISO 8601, years and months taken as 365 and 30 days.
const DURATION = /^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration such as PT1H30M; throws USAGE naming the text otherwise. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new AppError('USAGE', `'${text}' is not an ISO 8601 duration`);
  const n = (i: number) => Number(m[i] ?? 0);
  const days = n(2) * 365 + n(3) * 30 + n(4) * (m[5] === 'W' ? 7 : 1);
  const ms = ((days * 24 + n(6)) * 60 + n(7)) * 60_000 + n(8) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** "P9999Y" stands for "until further notice" (User Guide, intervalPeriod). */
export function isInfinite(text: string): boolean {
  return /^P9999Y/.test(text);
}
