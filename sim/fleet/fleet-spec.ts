import { FIRMWARES, type FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { MinerFaults } from '../emulated-miner.js';
import { AppError } from '../../shared/errors.js';

/**
 * Parsers for the compact strings the CLI and the admin endpoint accept
 * (`antminer:40,luxos:20`, `hung:1,ignore-sleep:5`, `127.1.0.0/16`). Each
 * names the bad part in its error, because these are typed by people.
 */

export type FaultKind = keyof MinerFaults;
export const FAULT_KINDS: readonly FaultKind[] = ['hung', 'garbage', 'refuse', 'slow', 'ignoreSleep'];
/** Percent of miners per fault kind. */
export type FaultRates = Partial<Record<FaultKind, number>>;
export type FirmwareMix = Partial<Record<FirmwareName, number>>;

export const DEFAULT_MIX: FirmwareMix = { antminer: 40, luxos: 20, braiins: 20, whatsminer: 20 };

function parsePairs(what: string, text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z-]+)\s*[:=]\s*([0-9]*\.?[0-9]+)$/.exec(part);
    if (!m) throw new AppError('USAGE', `${what}: cannot read '${part}' (expected name:number, e.g. ${what === '--mix' ? 'antminer:40' : 'hung:1'})`);
    out.push([m[1] as string, Number(m[2])]);
  }
  return out;
}

export function parseMix(text: string): FirmwareMix {
  const mix: FirmwareMix = {};
  for (const [name, weight] of parsePairs('--mix', text)) {
    if (!(FIRMWARES as readonly string[]).includes(name)) {
      throw new AppError('USAGE', `--mix: unknown firmware '${name}' (known: ${FIRMWARES.join(', ')})`);
    }
    mix[name as FirmwareName] = weight;
  }
  if (Object.values(mix).every((w) => !w)) throw new AppError('USAGE', '--mix: at least one firmware needs a weight above 0');
  return mix;
}

export function parseFaultRates(text: string): FaultRates {
  const rates: FaultRates = {};
  for (const [name, percent] of parsePairs('--faults', text)) {
    const kind = name === 'ignore-sleep' ? 'ignoreSleep' : name;
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new AppError('USAGE', `--faults: unknown fault '${name}' (known: hung, garbage, refuse, slow, ignore-sleep)`);
    }
    if (percent > 100) throw new AppError('USAGE', `--faults: ${name}:${percent} is more than 100 percent`);
    rates[kind as FaultKind] = percent;
  }
  return rates;
}

/** Splits `count` miners over the mix by largest remainder, so counts add up exactly. */
export function apportion(count: number, mix: FirmwareMix): Array<[FirmwareName, number]> {
  const entries = FIRMWARES.map((f) => [f, Math.max(0, mix[f] ?? 0)] as [FirmwareName, number]).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (total <= 0) throw new AppError('USAGE', 'firmware mix has no positive weight');
  const exact = entries.map(([f, w]) => [f, (count * w) / total] as [FirmwareName, number]);
  const counts = exact.map(([f, x]) => [f, Math.floor(x)] as [FirmwareName, number]);
  let left = count - counts.reduce((s, [, n]) => s + n, 0);
  const order = exact.map(([, x], i) => [i, x - Math.floor(x)] as [number, number]).sort((a, b) => b[1] - a[1]);
  for (const [i] of order) {
    if (left <= 0) break;
    (counts[i] as [FirmwareName, number])[1]++;
    left--;
  }
  return counts;
}

export interface Cidr {
  base: number;
  size: number;
  text: string;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 32) {
    throw new AppError('USAGE', `--bind: '${text}' is not an IPv4 range like 127.1.0.0/16`);
  }
  if (octets[0] !== 127) {
    // Only loopback: the emulator must never answer on a real network.
    throw new AppError('USAGE', `--bind: ${text} is outside 127.0.0.0/8; the emulator only listens on loopback`);
  }
  const mask = bits === 32 ? 0xffffffff : ~((1 << (32 - bits)) - 1) >>> 0;
  const base = (((octets[0] as number) << 24) | ((octets[1] as number) << 16) | ((octets[2] as number) << 8) | (octets[3] as number)) & mask;
  return { base: base >>> 0, size: 2 ** (32 - bits), text };
}

/**
 * The i-th usable address of the range. The network (.0) and broadcast (.255)
 * style addresses of each /24 are skipped so every address looks like a host.
 */
export function addressAt(cidr: Cidr, index: number): string {
  const perBlock = cidr.size >= 256 ? 254 : cidr.size;
  const offset = cidr.size >= 256 ? Math.floor(index / 254) * 256 + (index % 254) + 1 : index;
  if (offset >= cidr.size || index >= usableAddresses(cidr)) {
    throw new AppError('USAGE', `--bind: ${cidr.text} has only ${usableAddresses(cidr)} usable addresses (needed index ${index}, ${perBlock} per /24)`);
  }
  const n = (cidr.base + offset) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function usableAddresses(cidr: Cidr): number {
  return cidr.size >= 256 ? (cidr.size / 256) * 254 : cidr.size;
}
