import { AppError } from '../../../../shared/errors.js';
import type { CgminerResponse } from '../transport/cgminer-client.js';
import type { MinerEndpoint, MinerReading, MinerState } from '../miner-driver.js';
import { at, efficiency, first, hostLabel, makeFromModel, num, obj, round, str } from '../reading-helpers.js';

/**
 * Pure parsers for Braiins OS: the REST API v1 (25.07+, shapes from
 * ../shared/fixtures/miners/braiins-os/rest-v25.07) and the older BOSminer
 * cgminer-compatible API (bosminer-api-0.2).
 */

// MinerStatus from braiins/bos-plus-api proto/bos/v1/miner.proto; REST may send the number or the enum name.
const MINER_STATUS = ['unspecified', 'not_started', 'normal', 'paused', 'suspended', 'restricted'] as const;
export type BraiinsMinerStatus = (typeof MINER_STATUS)[number];

export function braiinsStatus(value: unknown): BraiinsMinerStatus {
  if (typeof value === 'number') return MINER_STATUS[value] ?? 'unspecified';
  if (typeof value === 'string') {
    const name = value.toLowerCase().replace(/^miner_status_/, '') as BraiinsMinerStatus;
    if ((MINER_STATUS as readonly string[]).includes(name)) return name;
  }
  return 'unspecified';
}

export interface BraiinsRestStats {
  powerW: number | null;
  hashrateThs: number;
  nominalThs: number | null;
}

/** `GET /api/v1/miner/stats` → approximated watts, real hashrate (last 5 s), nominal hashrate. */
export function parseBraiinsRestStats(body: unknown): BraiinsRestStats {
  if (!obj(body)) throw new AppError('PARSE', 'Braiins miner/stats: body is not an object');
  const ghs = num(at(body, 'miner_stats.real_hashrate.last_5s.gigahash_per_second')) ?? num(at(body, 'miner_stats.real_hashrate.last_15s.gigahash_per_second')) ?? 0;
  const nominal = num(at(body, 'miner_stats.nominal_hashrate.gigahash_per_second'));
  return {
    powerW: num(at(body, 'power_stats.approximated_consumption.watt')) ?? null,
    hashrateThs: round(ghs / 1000, 3),
    nominalThs: nominal === undefined ? null : round(nominal / 1000, 1),
  };
}

export interface BraiinsRestDetails {
  model: string;
  firmwareVersion: string;
  uptimeS: number | null;
  status: BraiinsMinerStatus;
  nominalThs: number | null;
}

/** `GET /api/v1/miner/details` → model, BOS version, bosminer uptime, miner status, sticker hashrate. */
export function parseBraiinsRestDetails(body: unknown): BraiinsRestDetails {
  if (!obj(body)) throw new AppError('PARSE', 'Braiins miner/details: body is not an object');
  const sticker = num(at(body, 'sticker_hashrate.gigahash_per_second'));
  return {
    model: str(at(body, 'miner_identity.miner_model')) ?? str(at(body, 'miner_identity.name')) ?? 'unknown',
    firmwareVersion: str(at(body, 'bos_version.current')) ?? '',
    uptimeS: num(at(body, 'bosminer_uptime_s')) ?? null,
    status: braiinsStatus(at(body, 'status')),
    nominalThs: sticker === undefined ? null : round(sticker / 1000, 1),
  };
}

/** `GET /api/v1/performance/tuner-state` → the power target in force, if the tuner runs in power-target mode. */
export function parseBraiinsTunerState(body: unknown): number | undefined {
  return num(at(body, 'mode_state.powertargetmodestate.current_target.watt'));
}

export interface BraiinsCooling {
  fanRpm: number[];
  maxTempC: number | null;
}

/** `GET /api/v1/cooling/state` → fan RPMs and the highest temperature. */
export function parseBraiinsCooling(body: unknown): BraiinsCooling {
  const fans = at(body, 'fans');
  const fanRpm = Array.isArray(fans) ? fans.map((f) => num(obj(f)?.rpm)).filter((v): v is number => v !== undefined) : [];
  return { fanRpm, maxTempC: num(at(body, 'highest_temperature.temperature.degree_c')) ?? null };
}

export interface BraiinsRestParts {
  stats: unknown;
  details: unknown;
  tuner?: unknown;
  cooling?: unknown;
}

export function braiinsRestReading(parts: BraiinsRestParts, endpoint: MinerEndpoint, now: number): MinerReading {
  const stats = parseBraiinsRestStats(parts.stats);
  const details = parseBraiinsRestDetails(parts.details);
  const cooling = parts.cooling === undefined ? { fanRpm: [], maxTempC: null } : parseBraiinsCooling(parts.cooling);
  const powerTargetW = parts.tuner === undefined ? undefined : parseBraiinsTunerState(parts.tuner);
  const reading: MinerReading = {
    id: endpoint.id,
    host: hostLabel(endpoint),
    make: makeFromModel(details.model),
    model: details.model,
    firmware: 'braiins',
    firmwareVersion: details.firmwareVersion,
    state: restState(details.status, stats.hashrateThs),
    powerW: stats.powerW,
    powerSource: stats.powerW === null ? 'none' : 'reported',
    hashrateThs: stats.hashrateThs,
    nominalThs: details.nominalThs ?? stats.nominalThs,
    efficiencyJth: efficiency(stats.powerW, stats.hashrateThs),
    maxTempC: cooling.maxTempC,
    fanRpm: cooling.fanRpm,
    uptimeS: details.uptimeS,
    readAt: now,
  };
  if (powerTargetW !== undefined) reading.powerTargetW = powerTargetW;
  return reading;
}

function restState(status: BraiinsMinerStatus, hashrateThs: number): MinerState {
  if (status === 'paused' || status === 'suspended') return 'sleeping';
  return hashrateThs > 0 ? 'hashing' : 'idle';
}

export interface BosminerTuner {
  powerW: number | null;
  powerLimitW: number | undefined;
}

/** BOSminer `tunerstatus` → `TUNERSTATUS[0].ApproximateMinerPowerConsumption` and `PowerLimit`. */
export function parseBosminerTunerStatus(response: CgminerResponse): BosminerTuner {
  const t = first(response, 'TUNERSTATUS');
  if (!t) throw new AppError('PARSE', "BOSminer 'tunerstatus' reply has no TUNERSTATUS section");
  return { powerW: num(t.ApproximateMinerPowerConsumption) ?? null, powerLimitW: num(t.PowerLimit) };
}

/** BOSminer `summary` → hashrate (MHS 5s; BOSminer reports MH/s) and uptime. */
export function parseBosminerSummary(response: CgminerResponse): { hashrateThs: number; uptimeS: number | null } {
  const s = first(response, 'SUMMARY');
  if (!s) throw new AppError('PARSE', "BOSminer 'summary' reply has no SUMMARY section");
  const mhs = num(s['MHS 5s']) ?? num(s['MHS 1m']) ?? (num(s['GHS 5s']) !== undefined ? num(s['GHS 5s'])! * 1000 : undefined) ?? 0;
  return { hashrateThs: round(mhs / 1e6, 3), uptimeS: num(s.Elapsed) ?? null };
}

/** BOSminer `temps` → the highest chip (else board) temperature. */
export function parseBosminerTemps(response: CgminerResponse): number | null {
  const list = Array.isArray(response.TEMPS) ? (response.TEMPS as unknown[]) : [];
  const temps = list.flatMap((t) => [num(obj(t)?.Chip), num(obj(t)?.Board)]).filter((v): v is number => v !== undefined && v > 0);
  return temps.length ? Math.max(...temps) : null;
}

/** BOSminer `fans` → RPM per fan. */
export function parseBosminerFans(response: CgminerResponse): number[] {
  const list = Array.isArray(response.FANS) ? (response.FANS as unknown[]) : [];
  return list.map((f) => num(obj(f)?.RPM)).filter((v): v is number => v !== undefined);
}

/** "BOSminer+ 0.2.0-ea64aec8e" / "BOSminer bosminer-plus-am2-s17 0.6.0-fe72abe5" → the version token. */
export function bosminerVersion(response: CgminerResponse): string {
  const description = str(first(response, 'STATUS')?.Description) ?? '';
  return /(\d+\.\d+\.\d+\S*)/.exec(description)?.[1] ?? '';
}

export interface BosminerParts {
  tunerstatus: CgminerResponse;
  summary: CgminerResponse;
  temps?: CgminerResponse;
  fans?: CgminerResponse;
}

/** Below this share of its power limit with no hashrate, a BOSminer is paused (the cgminer API has no pause flag). */
const PAUSED_POWER_SHARE = 0.15;

export function bosminerReading(parts: BosminerParts, endpoint: MinerEndpoint, now: number): MinerReading {
  const tuner = parseBosminerTunerStatus(parts.tunerstatus);
  const summary = parseBosminerSummary(parts.summary);
  let state: MinerState = summary.hashrateThs > 0 ? 'hashing' : 'idle';
  if (state === 'idle' && tuner.powerW !== null && (tuner.powerLimitW === undefined || tuner.powerW <= tuner.powerLimitW * PAUSED_POWER_SHARE)) state = 'sleeping';
  const reading: MinerReading = {
    id: endpoint.id,
    host: hostLabel(endpoint),
    make: 'unknown',
    model: 'unknown',
    firmware: 'braiins',
    firmwareVersion: bosminerVersion(parts.summary) || bosminerVersion(parts.tunerstatus),
    state,
    powerW: tuner.powerW,
    powerSource: tuner.powerW === null ? 'none' : 'reported',
    hashrateThs: summary.hashrateThs,
    nominalThs: null,
    efficiencyJth: efficiency(tuner.powerW, summary.hashrateThs),
    maxTempC: parts.temps ? parseBosminerTemps(parts.temps) : null,
    fanRpm: parts.fans ? parseBosminerFans(parts.fans) : [],
    uptimeS: summary.uptimeS,
    readAt: now,
  };
  if (tuner.powerLimitW !== undefined) reading.powerTargetW = tuner.powerLimitW;
  return reading;
}

/**
 * A REST miner read through its BOSminer API (power, power limit, hashrate,
 * uptime, temperatures, fans) with REST `miner/details` for what that API
 * lacks or only guesses: model, BOS version, sticker hashrate, and the paused
 * status (the cgminer API has no pause flag).
 */
export function braiinsApiWithDetailsReading(parts: BosminerParts, detailsBody: unknown, endpoint: MinerEndpoint, now: number): MinerReading {
  const reading = bosminerReading(parts, endpoint, now);
  const details = parseBraiinsRestDetails(detailsBody);
  return {
    ...reading,
    make: makeFromModel(details.model),
    model: details.model,
    firmwareVersion: details.firmwareVersion || reading.firmwareVersion,
    state: restState(details.status, reading.hashrateThs),
    nominalThs: details.nominalThs,
  };
}

/** Model from BOSminer `version`/`devdetails` is optional; fills make/model when present. */
export function withBosminerModel(reading: MinerReading, version: CgminerResponse | undefined): MinerReading {
  const v = first(version, 'VERSION');
  const model = str(v?.Type) ?? str(v?.Model);
  return model ? { ...reading, model, make: makeFromModel(model) } : reading;
}
