import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { MinerFaults, MinerModelSpec } from '../emulated-miner.js';
import { AppError } from '../../shared/errors.js';
import { addressAt, apportion, FAULT_KINDS, parseCidr, usableAddresses, type FaultRates, type FirmwareMix } from './fleet-spec.js';
import type { PortKind } from './miner-listeners.js';
import { pickModel } from './model-specs.js';
import { createRng, hashUnit, shuffled } from './rng.js';

/** The ports real firmware uses (cgminer API, Whatsminer API v3, web UI/REST). */
export const REAL_PORTS: Readonly<Record<PortKind, number>> = { cgminer: 4028, v3: 4433, http: 80 };
/** In --port-base mode miner i owns ports base + 3i … base + 3i + 2, in this order. */
export const PORT_BLOCK: Readonly<Record<PortKind, number>> = { cgminer: 0, v3: 1, http: 2 };

export interface AddressingOptions {
  /** A 127.x CIDR: miner i answers on the i-th address at the real ports. */
  bind?: string;
  /** One address, consecutive ports per miner from here (0: any free ports). */
  portBase?: number;
  host?: string;
  /** Bind mode only: replace the real ports (e.g. unprivileged 8080 for 80). */
  ports?: Partial<Record<PortKind, number>>;
}

export interface MinerPlan {
  index: number;
  id: string;
  host: string;
  wantedPorts: Partial<Record<PortKind, number>>;
  firmware: FirmwareName;
  spec: MinerModelSpec;
  faults: MinerFaults;
  mac: string;
  serial: string;
  powerSpread: number;
  hashSpread: number;
  bootOffsetMs: number;
}

export function noFaults(): MinerFaults {
  return { hung: false, garbage: false, refuse: false, slow: false, ignoreSleep: false };
}

/** Lays out a site deterministically from the seed: who runs what, where, with which faults. */
export function planFleet(count: number, mix: FirmwareMix, faults: FaultRates, seed: number, addressing: AddressingOptions, idPrefix: string): MinerPlan[] {
  if (!Number.isInteger(count) || count < 1) throw new AppError('USAGE', `miners: expected a whole number ≥ 1, got ${count}`);
  const rng = createRng(seed);
  const firmwares = shuffled(apportion(count, mix).flatMap(([fw, n]) => Array<FirmwareName>(n).fill(fw)), rng);
  // One shuffled order, cut into consecutive runs per fault, so faults land on
  // different miners (2 % hung + 2 % garbage is 4 % faulty miners, not fewer).
  const faultOrder = shuffled(Array.from({ length: count }, (_, i) => i), createRng(seed * 31 + 7));
  const faultSets = new Map<string, Set<number>>();
  let cursor = 0;
  for (const kind of FAULT_KINDS) {
    const percent = faults[kind] ?? 0;
    if (percent < 0 || !Number.isFinite(percent)) throw new AppError('USAGE', `faults: ${kind} must be a percentage ≥ 0`);
    const n = Math.round((count * percent) / 100);
    faultSets.set(kind, new Set(Array.from({ length: n }, (_, k) => faultOrder[(cursor + k) % count] as number)));
    cursor += n;
  }
  const address = addresser(count, addressing);
  const width = Math.max(4, String(count).length);
  return firmwares.map((firmware, index) => {
    const { host, wantedPorts } = address(index);
    const f = noFaults();
    for (const kind of FAULT_KINDS) f[kind] = faultSets.get(kind)?.has(index) ?? false;
    const h = (salt: number) => hashUnit(seed, index, salt);
    return {
      index,
      id: `${idPrefix}${String(index + 1).padStart(width, '0')}`,
      host,
      wantedPorts,
      firmware,
      spec: pickModel(firmware, rng()),
      faults: f,
      mac: macFor(seed, index),
      serial: serialFor(seed, index),
      powerSpread: 1 + 0.04 * (h(1) - 0.5),
      hashSpread: 1 + 0.04 * (h(2) - 0.5),
      bootOffsetMs: 3_600_000 + Math.floor(h(3) * 10 * 86_400_000),
    };
  });
}

function addresser(count: number, a: AddressingOptions): (index: number) => { host: string; wantedPorts: Partial<Record<PortKind, number>> } {
  if (a.bind !== undefined && a.portBase !== undefined) throw new AppError('USAGE', 'choose either --bind (one address per miner) or --port-base (ports per miner), not both');
  if (a.bind !== undefined) {
    const cidr = parseCidr(a.bind);
    if (count > usableAddresses(cidr)) throw new AppError('USAGE', `--bind ${a.bind} has ${usableAddresses(cidr)} usable addresses, fewer than ${count} miners`);
    const ports = { ...REAL_PORTS, ...a.ports };
    return (index) => ({ host: addressAt(cidr, index), wantedPorts: ports });
  }
  const host = a.host ?? '127.0.0.1';
  if (!host.startsWith('127.') && host !== 'localhost') throw new AppError('USAGE', `host ${host} is not loopback; the emulator only listens on 127.0.0.0/8`);
  const base = a.portBase ?? 0;
  if (base === 0) return () => ({ host, wantedPorts: { cgminer: 0, v3: 0, http: 0 } });
  if (!Number.isInteger(base) || base < 1024 || base + 3 * count > 65536) {
    throw new AppError('USAGE', `--port-base ${base}: need ${3 * count} consecutive ports between 1024 and 65535 (3 per miner)`);
  }
  return (index) => ({
    host,
    wantedPorts: { cgminer: base + 3 * index + PORT_BLOCK.cgminer, v3: base + 3 * index + PORT_BLOCK.v3, http: base + 3 * index + PORT_BLOCK.http },
  });
}

function macFor(seed: number, index: number): string {
  // 02: locally administered, so it can never collide with a real vendor OUI.
  const bytes = [0x02, ...Array.from({ length: 5 }, (_, k) => Math.floor(hashUnit(seed, index, 100 + k) * 256))];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

function serialFor(seed: number, index: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return Array.from({ length: 16 }, (_, k) => alphabet[Math.floor(hashUnit(seed, index, 200 + k) * alphabet.length)]).join('');
}
