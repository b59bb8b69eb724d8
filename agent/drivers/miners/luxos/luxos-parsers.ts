import { AppError } from '../../../../shared/errors.js';
import type { CgminerResponse } from '../transport/cgminer-client.js';
import type { MinerEndpoint, MinerReading, MinerState } from '../miner-driver.js';
import { efficiency, first, hostLabel, makeFromModel, num, round, str } from '../reading-helpers.js';

/**
 * Pure parsers for LUXminer (LuxOS) cgminer-API replies, shapes as captured
 * from LUXminer 2025.4.8 (../shared/fixtures/miners/luxos). Each takes one
 * reply and returns the part of a reading it knows about.
 */

/** `power` → `POWER[0].Watts` (LuxOS's own estimate from the PSU/profile). */
export function parseLuxosPower(response: CgminerResponse): number | null {
  return num(first(response, 'POWER')?.Watts) ?? null;
}

export interface LuxosSummary {
  hashrateThs: number;
  uptimeS: number | null;
}

/** `summary` → hashrate (GHS 5s, else MHS 5s) and uptime. */
export function parseLuxosSummary(response: CgminerResponse): LuxosSummary {
  const s = first(response, 'SUMMARY');
  if (!s) throw new AppError('PARSE', "LuxOS 'summary' reply has no SUMMARY section");
  const ghs = num(s['GHS 5s']) ?? (num(s['MHS 5s']) !== undefined ? num(s['MHS 5s'])! / 1000 : undefined) ?? num(s['GHS av']) ?? 0;
  return { hashrateThs: round(ghs / 1000, 3), uptimeS: num(s.Elapsed) ?? null };
}

export interface LuxosStats {
  model?: string;
  maxTempC: number | null;
  fanRpm: number[];
  nominalThs: number | null;
}

/** `stats` → model (STATS[0].Type), temperatures (temp_max, else tempN), fans (fan1..fanN), ideal rate. */
export function parseLuxosStats(response: CgminerResponse): LuxosStats {
  const list = Array.isArray(response.STATS) ? (response.STATS as Array<Record<string, unknown>>) : [];
  const head = list[0];
  // STATS[0] names the firmware; the next entry (ID BTM_SOC0) carries the fans, temperatures and rates.
  const body = list.find((s) => s !== head && (s.fan_num !== undefined || s.temp_max !== undefined)) ?? list[1];
  const fanRpm: number[] = [];
  let maxTempC: number | null = null;
  if (body) {
    const fanCount = num(body.fan_num) ?? 8;
    for (let i = 1; i <= fanCount; i++) {
      const rpm = num(body[`fan${i}`]);
      if (rpm !== undefined) fanRpm.push(rpm);
    }
    maxTempC = num(body.temp_max) ?? null;
    if (maxTempC === null) {
      const temps = Object.entries(body)
        .filter(([k]) => /^temp\d+(_\d+)?$/.test(k))
        .map(([, v]) => num(v))
        .filter((v): v is number => v !== undefined && v > 0);
      maxTempC = temps.length ? Math.max(...temps) : null;
    }
  }
  const ideal = num(body?.total_rateideal);
  const unit = str(body?.rate_unit) ?? 'GH';
  const nominalThs = ideal === undefined ? null : round(unit === 'MH' ? ideal / 1e6 : ideal / 1000, 1);
  return { model: str(head?.Type), maxTempC, fanRpm, nominalThs };
}

export interface LuxosConfig {
  /** Curtailed by `curtail sleep` (CurtailMode other than None), or PSU switched off. */
  curtailed: boolean;
  psuOn: boolean;
  atmEnabled: boolean;
  model?: string;
  nominalThs: number | null;
  profile?: string;
  firmwareVersion?: string;
}

/** `config` → curtail mode, PSU, ATM, model, nameplate TH/s, active profile. */
export function parseLuxosConfig(response: CgminerResponse): LuxosConfig {
  const c = first(response, 'CONFIG');
  if (!c) throw new AppError('PARSE', "LuxOS 'config' reply has no CONFIG section");
  const mode = (str(c.CurtailMode) ?? 'None').toLowerCase();
  const psuOn = c.IsPowerSupplyOn !== false;
  return {
    curtailed: (mode !== 'none' && mode !== '') || !psuOn,
    psuOn,
    atmEnabled: c.IsAtmEnabled === true,
    model: str(c.Model),
    nominalThs: num(c.NameplateTHS) ?? null,
    profile: str(c.Profile),
    firmwareVersion: luxminerVersion(response),
  };
}

/** "LUXminer 2025.4.8.220305-57b389c7" in STATUS[0].Description → "2025.4.8.220305-57b389c7". */
export function luxminerVersion(response: CgminerResponse): string | undefined {
  const description = str(first(response, 'STATUS')?.Description);
  const match = description ? /LUXminer\s+(\S+)/i.exec(description) : null;
  return match?.[1];
}

export interface LuxosProfile {
  name: string;
  watts: number;
  hashrateThs: number;
}

/** `profiles` → name, watts and TH/s per profile, sorted by watts. */
export function parseLuxosProfiles(response: CgminerResponse): LuxosProfile[] {
  const list = Array.isArray(response.PROFILES) ? (response.PROFILES as Array<Record<string, unknown>>) : [];
  return list
    .map((p) => ({ name: str(p['Profile Name']) ?? '', watts: num(p.Watts) ?? NaN, hashrateThs: num(p.Hashrate) ?? 0 }))
    .filter((p) => p.name !== '' && Number.isFinite(p.watts))
    .sort((a, b) => a.watts - b.watts);
}

/** The profile with the most watts at or under the target; the lowest one when the target is below all. */
export function pickProfileForTarget(profiles: readonly LuxosProfile[], watts: number): LuxosProfile | undefined {
  let pick: LuxosProfile | undefined;
  for (const p of profiles) if (p.watts <= watts) pick = p;
  return pick ?? profiles[0];
}

/** `logon` / `session` → `SESSION[0].SessionID` ('' when none is active). */
export function parseLuxosSession(response: CgminerResponse): string {
  return str(first(response, 'SESSION')?.SessionID) ?? '';
}

export interface LuxosReadParts {
  power: CgminerResponse;
  summary: CgminerResponse;
  stats: CgminerResponse;
  config: CgminerResponse;
}

/** Combines the four read replies into a normalized reading. */
export function luxosReading(parts: LuxosReadParts, endpoint: MinerEndpoint, now: number): MinerReading {
  const powerW = parseLuxosPower(parts.power);
  const summary = parseLuxosSummary(parts.summary);
  const stats = parseLuxosStats(parts.stats);
  const config = parseLuxosConfig(parts.config);
  const model = config.model ?? stats.model ?? 'unknown';
  return {
    id: endpoint.id,
    host: hostLabel(endpoint),
    make: makeFromModel(model),
    model,
    firmware: 'luxos',
    firmwareVersion: config.firmwareVersion ?? luxminerVersion(parts.summary) ?? '',
    state: luxosState(config.curtailed, summary.hashrateThs),
    powerW,
    powerSource: powerW === null ? 'none' : 'reported',
    hashrateThs: summary.hashrateThs,
    nominalThs: config.nominalThs ?? stats.nominalThs,
    efficiencyJth: efficiency(powerW, summary.hashrateThs),
    maxTempC: stats.maxTempC,
    fanRpm: stats.fanRpm,
    uptimeS: summary.uptimeS,
    readAt: now,
  };
}

/** Curtailed → sleeping (the firmware's word, even while the boards still ramp down); else hashing when it hashes, idle when not. */
export function luxosState(curtailed: boolean, hashrateThs: number): MinerState {
  if (curtailed) return 'sleeping';
  return hashrateThs > 0 ? 'hashing' : 'idle';
}
