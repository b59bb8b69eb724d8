import { describeError, isAppError } from '../../../shared/errors.js';
import type { FirmwareName, MinerEndpoint, MinerReading } from './miner-driver.js';

/**
 * Small coercions shared by the response parsers: firmwares send numbers as
 * strings ("18910.28"), `null` after JSON repair of `nan`, or leave fields out.
 */

export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** First element of a cgminer section (`SUMMARY[0]`), or undefined. */
export function first(response: Record<string, unknown> | undefined, section: string): Record<string, unknown> | undefined {
  const list = response?.[section];
  return Array.isArray(list) ? obj(list[0]) : undefined;
}

/** Walks a nested path (`a.b.c`) through objects. */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    const o = obj(cur);
    if (!o) return undefined;
    cur = o[key];
  }
  return cur;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function efficiency(powerW: number | null, hashrateThs: number): number | null {
  return powerW !== null && hashrateThs > 0 ? round(powerW / hashrateThs, 2) : null;
}

export function hostLabel(endpoint: MinerEndpoint): string {
  return endpoint.port ? `${endpoint.host}:${endpoint.port}` : endpoint.host;
}

/** "Antminer S19k Pro" → "Antminer". */
export function makeFromModel(model: string): string {
  const word = model.trim().split(/\s+/)[0] ?? '';
  return /^(antminer|whatsminer|avalon)/i.test(word) ? word : 'unknown';
}

/** The fields of a reading before anything is known about the miner; drivers fill in what they read. */
export function blankReading(endpoint: MinerEndpoint, firmware: FirmwareName, identity: { make: string; model: string }, now: number): Omit<MinerReading, 'state'> {
  return {
    id: endpoint.id,
    host: hostLabel(endpoint),
    make: identity.make,
    model: identity.model,
    firmware,
    firmwareVersion: '',
    powerW: null,
    powerSource: 'none',
    hashrateThs: 0,
    nominalThs: null,
    efficiencyJth: null,
    maxTempC: null,
    fanRpm: [],
    uptimeS: null,
    readAt: now,
  };
}

/**
 * A reading for a miner that could not be read: `offline` when it did not
 * answer (refused, timeout), `error` when it answered something we cannot use.
 */
export function failedReading(
  endpoint: MinerEndpoint,
  firmware: FirmwareName,
  err: unknown,
  now: number,
  identity: { make: string; model: string } = { make: 'unknown', model: 'unknown' },
): MinerReading {
  const offline = isAppError(err, 'UNREACHABLE') || isAppError(err, 'TIMEOUT');
  return { ...blankReading(endpoint, firmware, identity, now), state: offline ? 'offline' : 'error', error: describeError(err) };
}
