import type { FirmwareName, MinerEndpoint } from '../../agent/drivers/miners/miner-driver.js';
import type { EmulatedPhase, MinerFaults, Personality } from '../emulated-miner.js';
import { AppError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/log/logger.js';
import { ConnectionContext } from './connection-context.js';
import { EnergyCounter } from './energy-counter.js';
import { countOpenFiles, ensureOpenFileLimit } from './fd-limit.js';
import { DEFAULT_MIX, type FaultRates, type FirmwareMix } from './fleet-spec.js';
import { planFleet, type AddressingOptions } from './fleet-layout.js';
import { HttpPorts } from './http-port.js';
import { MinerListeners, portKindsOf, type PortKind } from './miner-listeners.js';
import { DEFAULT_CREDENTIALS } from './model-specs.js';
import { hashNoise } from './rng.js';
import { SimulatedMiner } from './simulated-miner.js';
import { defaultPersonalities } from './default-personalities.js';

export interface FleetOptions extends AddressingOptions {
  miners: number;
  /** Relative weights per firmware (default antminer:40, luxos:20, braiins:20, whatsminer:20). */
  mix?: FirmwareMix;
  /** 1 = real time; 0.05 makes a 6 s pause take 0.3 s. */
  timeFactor?: number;
  /** Percent of miners per fault, chosen deterministically by `seed`. */
  faults?: FaultRates;
  seed?: number;
  /** Cooling, lighting, offices: drawn on top of the miners, seen by the meter. */
  overheadKw?: number;
  /** Same login on every miner; default: each firmware's factory login. */
  credentials?: { username: string; password: string };
  /** A login per firmware family (a mixed site where each vendor's login differs); wins over `credentials`. */
  credentialsByFirmware?: Partial<Record<FirmwareName, { username: string; password: string }>>;
  /** Override personalities per firmware (tests; a firmware without one here uses the built-in). */
  personalities?: Partial<Record<FirmwareName, Personality>>;
  /** Miner ids are `${idPrefix}0001`…; default `miner-`. Use a site prefix when running several fleets. */
  idPrefix?: string;
  /** How late a `slow` miner answers (default 3000 ms, not scaled by timeFactor: it is about network deadlines). */
  slowDelayMs?: number;
  log?: Logger;
}

export interface FleetEndpoint extends MinerEndpoint {
  firmware: FirmwareName;
  username: string;
  password: string;
}

export interface MinerTruth {
  id: string;
  host: string;
  ports: Partial<Record<PortKind, number>>;
  firmware: FirmwareName;
  make: string;
  model: string;
  phase: EmulatedPhase;
  powerW: number;
  hashrateThs: number;
  powerTargetW: number | null;
  maxTempC: number;
  nominalJth: number;
  faults: MinerFaults;
  /** When it last began a pause on a sleep command (ms), null if never. */
  pausedAt: number | null;
}

export interface SiteTruth {
  miners: number;
  minerPowerW: number;
  overheadW: number;
  /** Miners + overhead: what a meter at the site's connection reads. */
  totalPowerW: number;
  hashrateThs: number;
  importKwh: number;
  byPhase: Record<EmulatedPhase, number>;
}

/** A running emulated site. Create with startFleet(); always stop(). */
export class Fleet {
  readonly miners: SimulatedMiner[];
  private readonly byId: Map<string, MinerListeners>;
  private readonly energy: EnergyCounter;
  private stopped = false;

  constructor(
    private readonly listeners: MinerListeners[],
    private readonly ctx: ConnectionContext,
    private readonly http: HttpPorts,
    private readonly overheadW: number,
    private readonly seed: number,
  ) {
    this.miners = listeners.map((l) => l.miner as SimulatedMiner);
    this.byId = new Map(listeners.map((l) => [l.miner.id, l]));
    this.energy = new EnergyCounter(() => this.totalPowerW());
    this.energy.start();
  }

  /** What an agent's config would list for each miner. */
  endpoints(): FleetEndpoint[] {
    return this.listeners.map(({ miner, ports }) => ({
      id: miner.id,
      host: miner.host,
      ...(ports.cgminer !== undefined ? { port: ports.cgminer } : {}),
      ...(ports.http !== undefined ? { httpPort: ports.http } : {}),
      ...(ports.v3 !== undefined ? { v3Port: ports.v3 } : {}),
      firmware: miner.firmware,
      username: miner.credentials.username,
      password: miner.credentials.password,
    }));
  }

  miner(id: string): SimulatedMiner {
    const l = this.byId.get(id);
    if (!l) throw new AppError('NOT_FOUND', `no emulated miner '${id}'`);
    return l.miner as SimulatedMiner;
  }

  /** Every miner's read noise (SimulatedMiner.readingNoise): 0 holds readings steady, 1 is the default. */
  setReadingNoise(scale: number): void {
    for (const { miner } of this.listeners) (miner as SimulatedMiner).readingNoise = scale;
  }

  groundTruth(): MinerTruth[] {
    return this.listeners.map(({ miner, ports }) => {
      const s = miner.snapshot();
      return {
        id: miner.id,
        host: miner.host,
        ports: { ...ports },
        firmware: miner.firmware,
        make: miner.spec.make,
        model: miner.spec.model,
        phase: s.phase,
        powerW: s.powerW,
        hashrateThs: s.hashrateThs,
        powerTargetW: s.powerTargetW,
        maxTempC: Math.max(...s.boardTempsC),
        nominalJth: Math.round((miner.spec.nominalW / miner.spec.nominalThs) * 10) / 10,
        faults: { ...miner.faults },
        pausedAt: (miner as SimulatedMiner).pausedAt ?? null,
      };
    });
  }

  site(): SiteTruth {
    const byPhase: Record<EmulatedPhase, number> = { hashing: 0, pausing: 0, sleeping: 0, waking: 0 };
    let minerPowerW = 0;
    let hashrateThs = 0;
    for (const m of this.miners) {
      const s = m.snapshot();
      byPhase[s.phase]++;
      minerPowerW += s.powerW;
      hashrateThs += s.hashrateThs;
    }
    const minersW = Math.round(minerPowerW);
    const overheadW = Math.round(this.currentOverheadW());
    return {
      miners: this.miners.length,
      minerPowerW: minersW,
      overheadW,
      totalPowerW: minersW + overheadW,
      hashrateThs: Math.round(hashrateThs * 10) / 10,
      importKwh: this.energy.importKwh(),
      byPhase,
    };
  }

  minerPowerW(): number {
    let w = 0;
    for (const m of this.miners) w += m.snapshot().powerW;
    return w;
  }

  /** Miners + overhead, in W: what the site meter reads. */
  totalPowerW(): number {
    return this.minerPowerW() + this.currentOverheadW();
  }

  /** Connections the miners accepted since start (all ports). */
  connectionsAccepted(): number {
    return this.ctx.accepted;
  }

  /** Cumulative kWh imported since the fleet started (the meter's energy register). */
  importKwh(): number {
    return this.energy.importKwh();
  }

  /** Changes one miner's faults; `refuse` closes or reopens its listeners. */
  async setFaults(minerId: string, patch: Partial<MinerFaults>): Promise<MinerFaults> {
    const l = this.byId.get(minerId);
    if (!l) throw new AppError('NOT_FOUND', `no emulated miner '${minerId}'`);
    const faults = l.miner.faults;
    for (const key of Object.keys(patch) as Array<keyof MinerFaults>) {
      if (!(key in faults)) throw new AppError('USAGE', `unknown fault '${key}' (known: ${Object.keys(faults).join(', ')})`);
      faults[key] = Boolean(patch[key]);
    }
    if (!this.stopped) {
      if (faults.refuse && l.listening) await l.close();
      else if (!faults.refuse && !l.listening) await l.open();
    }
    return { ...faults };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.energy.stop();
    await Promise.all(this.listeners.map((l) => l.close()));
    this.http.close();
    this.ctx.closeAll();
  }

  private currentOverheadW(): number {
    if (this.overheadW <= 0) return 0;
    return this.overheadW * (1 + 0.01 * hashNoise(this.seed, -1, Math.floor(Date.now() / 1000), 5));
  }
}

const OPEN_BATCH = 512;

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const seed = options.seed ?? 1;
  const timeFactor = options.timeFactor ?? 1;
  if (!(timeFactor > 0)) throw new AppError('USAGE', `timeFactor must be > 0, got ${timeFactor}`);
  const log = (options.log ?? createSilentLogger()).child({ component: 'fleet' });
  const plans = planFleet(options.miners, options.mix ?? DEFAULT_MIX, options.faults ?? {}, seed, options, options.idPrefix ?? 'miner-');
  const personalities = { ...defaultPersonalities(), ...options.personalities };
  const ctx = new ConnectionContext(log, options.slowDelayMs ?? 3000, 60_000);
  const http = new HttpPorts(ctx);
  const startedAt = Date.now();
  const listeners = plans.map((p) => {
    const personality = personalities[p.firmware];
    const miner = new SimulatedMiner({
      ...p,
      credentials: options.credentialsByFirmware?.[p.firmware] ?? options.credentials ?? DEFAULT_CREDENTIALS[p.firmware],
      seed,
      timeFactor,
      bootAt: startedAt - p.bootOffsetMs,
    });
    return new MinerListeners(miner, personality, ctx, http, p.wantedPorts);
  });
  const sockets = listeners.reduce((n, l) => n + Object.keys(l.ports).length, 0);
  // Descriptors already open + listeners + a margin for connections in flight
  // (a poller at concurrency 256 holds 256 of ours), admin, meter, libuv.
  ensureOpenFileLimit(countOpenFiles() + sockets + 1024);
  const fleet = new Fleet(listeners, ctx, http, (options.overheadKw ?? 0) * 1000, seed);
  try {
    for (let i = 0; i < listeners.length; i += OPEN_BATCH) {
      // A refusing miner listens first and closes at once, so it keeps a port that refuses.
      await Promise.all(listeners.slice(i, i + OPEN_BATCH).map(async (l) => {
        await l.open();
        if (l.miner.faults.refuse) await l.close();
      }));
    }
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  log.info({ miners: listeners.length, sockets }, 'fleet listening');
  return fleet;
}

export { portKindsOf };
