import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { EmulatedMiner, EmulatedPhase, MinerFaults, MinerModelSpec, MinerSnapshot } from '../emulated-miner.js';
import { hashNoise } from './rng.js';

/**
 * Real-world delays, from the BOSminer log printed beside the pause/resume
 * examples of the Braiins OS+ API docs (fixtures: pause-timing.txt): PAUSE →
 * hashboard voltage off after ~6.3 s; RESUME → voltage on after ~1.2 s and
 * full frequency after ~9.7 s. A power-target change is retuned over ~5 s by
 * firmwares that retune live (LuxOS, Whatsminer); Braiins OS restarts its
 * mining process on a new power target: hashing stops and the boards idle
 * (`restartDark`), then they come back as from a resume (`wake`).
 */
export const REAL_TIMING_MS = { pause: 6300, wakeVoltage: 1200, wake: 9700, retarget: 5000, restartDark: 2500 } as const;
/** Share of hashing power the boards draw while bosminer restarts (voltage on, no work). */
const RESTART_POWER_SHARE = 0.3;
const DEFAULT_CURVE = { floorRatio: 0.5, exponent: 0.85 };

export interface SimulatedMinerInit {
  id: string;
  index: number;
  host: string;
  firmware: FirmwareName;
  spec: MinerModelSpec;
  mac: string;
  serial: string;
  credentials: { username: string; password: string };
  faults: MinerFaults;
  seed: number;
  /** Multiplies every delay: 1 is real time, 0.05 makes a 6 s pause take 0.3 s. */
  timeFactor: number;
  /** Unit-to-unit spread around the nameplate (e.g. 1.01 draws 1 % more). */
  powerSpread: number;
  hashSpread: number;
  bootAt: number;
  now?: () => number;
}

interface Levels {
  power: number;
  hash: number;
}

/**
 * One emulated machine's physics. Nothing here runs on a timer: the phase and
 * the ramps are evaluated from timestamps when someone looks, so 10,000 idle
 * miners cost no CPU.
 */
export class SimulatedMiner implements EmulatedMiner {
  readonly id: string;
  readonly index: number;
  readonly host: string;
  readonly firmware: FirmwareName;
  readonly spec: MinerModelSpec;
  readonly mac: string;
  readonly serial: string;
  readonly credentials: { username: string; password: string };
  readonly faults: MinerFaults;
  readonly memory = new Map<string, unknown>();

  private readonly seed: number;
  private readonly timing: { pause: number; wakeVoltage: number; wake: number; retarget: number; restartDark: number };
  private readonly powerSpread: number;
  private readonly hashSpread: number;
  private readonly bootAt: number;
  private readonly clock: () => number;
  private readonly boardOffsets: number[];
  private readonly fanCount: number;

  /**
   * Scale of the second-to-second noise of power, hashrate, temperatures and fans
   * (1 = as real miners wander; 0 = steady). A test that compares what the agent
   * read at one moment with what it reported at another needs it steady.
   */
  readingNoise = 1;
  /** When the miner last began a pause (took a sleep command it obeys); null if never. Ground truth for tests. */
  pausedAt: number | null = null;
  private phase: EmulatedPhase = 'hashing';
  private phaseStart: number;
  private levelsAtPhaseStart: Levels = { power: 1, hash: 1 };
  private powerTargetW: number | null = null;
  /** Load ratio vs. nameplate, ramping from `ratioFrom` to `ratioTo` after `ratioChangeAt`. */
  private ratioFrom = 1;
  private ratioTo = 1;
  private ratioChangeAt = 0;
  /** Braiins OS: when bosminer last restarted for a new power target. */
  private restartAt: number | null = null;

  constructor(init: SimulatedMinerInit) {
    this.id = init.id;
    this.index = init.index;
    this.host = init.host;
    this.firmware = init.firmware;
    this.spec = init.spec;
    this.mac = init.mac;
    this.serial = init.serial;
    this.credentials = init.credentials;
    this.faults = init.faults;
    this.seed = init.seed;
    const f = init.timeFactor;
    this.timing = {
      pause: REAL_TIMING_MS.pause * f,
      wakeVoltage: REAL_TIMING_MS.wakeVoltage * f,
      wake: REAL_TIMING_MS.wake * f,
      retarget: REAL_TIMING_MS.retarget * f,
      restartDark: REAL_TIMING_MS.restartDark * f,
    };
    this.powerSpread = init.powerSpread;
    this.hashSpread = init.hashSpread;
    this.bootAt = init.bootAt;
    this.clock = init.now ?? Date.now;
    this.phaseStart = this.clock();
    this.boardOffsets = Array.from({ length: init.spec.hashboards }, (_, b) => hashNoise(init.seed, init.index, b, 7) * 3);
    this.fanCount = init.spec.make === 'MicroBT' ? 2 : 4;
  }

  currentPhase(now = this.clock()): EmulatedPhase {
    this.advance(now);
    return this.phase;
  }

  requestSleep(): void {
    if (this.faults.ignoreSleep) return; // answers success, keeps hashing (stock S21+)
    const now = this.clock();
    this.advance(now);
    if (this.phase === 'sleeping' || this.phase === 'pausing') return;
    this.enter('pausing', now);
    this.pausedAt = now;
  }

  requestWake(): void {
    const now = this.clock();
    this.advance(now);
    if (this.phase === 'hashing' || this.phase === 'waking') return;
    this.enter('waking', now);
  }

  setPowerTarget(watts: number | null): void {
    const now = this.clock();
    const floor = (this.spec.curve ?? DEFAULT_CURVE).floorRatio;
    const ratio = watts === null ? 1 : Math.min(1.15, Math.max(floor, watts / (this.spec.nominalW * this.powerSpread)));
    if (this.firmware === 'braiins') {
      // bosminer restarts with the new target: the new level holds from the start, behind the restart.
      this.ratioFrom = ratio;
      this.restartAt = now;
    } else this.ratioFrom = this.loadRatio(now);
    this.ratioTo = ratio;
    this.ratioChangeAt = now;
    this.powerTargetW = watts;
  }

  snapshot(): MinerSnapshot {
    const now = this.clock();
    this.advance(now);
    const phaseLevels = this.levels(now);
    const restart = this.restart(now);
    const levels = { power: phaseLevels.power * restart.power, hash: phaseLevels.hash * restart.hash };
    const ratio = this.loadRatio(now);
    const loadW = this.spec.nominalW * this.powerSpread * ratio;
    const second = Math.floor(now / 1000);
    const noise = (channel: number) => this.readingNoise * hashNoise(this.seed, this.index, second, channel);
    const sleepW = this.spec.sleepW * (1 + 0.03 * noise(1));
    const hashingW = (loadW - this.spec.sleepW) * levels.power * (1 + 0.012 * noise(2));
    const loadThs = this.spec.nominalThs * this.hashSpread * ratio ** (this.spec.curve ?? DEFAULT_CURVE).exponent;
    const hashrateThs = loadThs * levels.hash * (1 + 0.015 * noise(3));
    const heat = levels.power * ratio;
    return {
      phase: this.phase,
      powerW: round1(sleepW + hashingW),
      hashrateThs: round2(Math.max(0, hashrateThs)),
      boardTempsC: this.boardOffsets.map((offset, b) => round1(31 + 38 * heat + offset + 0.6 * noise(10 + b))),
      fanRpm: Array.from({ length: this.fanCount }, (_, k) => Math.round(1400 + 3700 * heat + 60 * noise(20 + k))),
      uptimeS: Math.floor((now - this.bootAt) / 1000),
      powerTargetW: this.powerTargetW,
      now,
    };
  }

  private enter(phase: EmulatedPhase, now: number): void {
    this.levelsAtPhaseStart = this.levels(now);
    this.phase = phase;
    this.phaseStart = now;
  }

  /** Moves through finished transitions (pausing → sleeping, waking → hashing). */
  private advance(now: number): void {
    if (this.phase === 'pausing' && now - this.phaseStart >= this.timing.pause) {
      this.phaseStart += this.timing.pause;
      this.phase = 'sleeping';
      this.levelsAtPhaseStart = { power: 0, hash: 0 };
    } else if (this.phase === 'waking' && now - this.phaseStart >= this.timing.wake) {
      this.phaseStart += this.timing.wake;
      this.phase = 'hashing';
      this.levelsAtPhaseStart = { power: 1, hash: 1 };
    }
  }

  /** Fractions of full load: hashboard power and hashrate. */
  private levels(now: number): Levels {
    const t = now - this.phaseStart;
    const start = this.levelsAtPhaseStart;
    switch (this.phase) {
      case 'hashing':
        return { power: 1, hash: 1 };
      case 'sleeping':
        return { power: 0, hash: 0 };
      case 'pausing': {
        // Chips stop first (hashrate falls over the first half); the boards keep
        // most of their draw until the voltage is cut at the end.
        const p = this.timing.pause;
        const hash = start.hash * Math.max(0, 1 - t / (0.5 * p));
        const power = t < 0.85 * p ? start.power * (1 - (0.15 * t) / (0.85 * p)) : start.power * 0.85 * Math.max(0, 1 - (t - 0.85 * p) / (0.15 * p));
        return { power, hash };
      }
      case 'waking': {
        const { wakeVoltage, wake } = this.timing;
        if (t < wakeVoltage) return start;
        const f = Math.min(1, (t - wakeVoltage) / Math.max(1e-9, wake - wakeVoltage));
        return { power: start.power + (1 - start.power) * f, hash: start.hash + (1 - start.hash) * f };
      }
    }
  }

  /** Braiins OS retarget: dark while bosminer restarts, then power and hashrate return as from a resume. */
  private restart(now: number): Levels {
    if (this.restartAt === null) return { power: 1, hash: 1 };
    const t = now - this.restartAt;
    const { restartDark, wake, wakeVoltage } = this.timing;
    if (t < restartDark) return { power: RESTART_POWER_SHARE, hash: 0 };
    const f = Math.min(1, (t - restartDark) / Math.max(1e-9, wake - wakeVoltage));
    if (f >= 1) this.restartAt = null;
    return { power: RESTART_POWER_SHARE + (1 - RESTART_POWER_SHARE) * f, hash: f };
  }

  private loadRatio(now: number): number {
    const f = this.timing.retarget <= 0 ? 1 : Math.min(1, (now - this.ratioChangeAt) / this.timing.retarget);
    return this.ratioFrom + (this.ratioTo - this.ratioFrom) * f;
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
