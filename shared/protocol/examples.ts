import type { AgentState, Birth, CollectorState, Control, ControlReport, Telemetry, TelemetryAck } from './index.js';

/**
 * One valid example of every message, as shown in docs/protocol.md. Tests
 * derive their invalid cases from these, so the examples stay valid.
 */
const T = 1_795_000_000_000; // 2026-11-18T...Z, any fixed instant

export const exampleState: AgentState = { v: 1, site: 'kz-ekb-01', agent: 'gw-1', online: true, session: 42, ts: T };

export const exampleBirth: Birth = {
  v: 1,
  site: 'kz-ekb-01',
  agent: 'gw-1',
  session: 42,
  ts: T,
  agentVersion: '0.1.0',
  agentClock: T,
  miners: {
    total: 3,
    byModel: [
      { make: 'Bitmain', model: 'Antminer S19 Pro', firmware: 'antminer', firmwareVersion: '49.0.1.3', count: 2, nominalKw: 6.5 },
      { make: 'MicroBT', model: 'Whatsminer M30S+', firmware: 'whatsminer', count: 1, nominalKw: 3.4 },
    ],
  },
  nameplateKw: 9.9,
  meter: { present: true, driver: 'modbus-tcp', preset: 'eastron-sdm630' },
  curtail: {
    modes: ['max_kw', 'shed_kw', 'sleep_count', 'full', 'none'],
    strategies: ['least_efficient_first', 'most_power_first', 'spread'],
    levels: ['sleep'],
    sleepCapable: 3,
    powerTargetCapable: 1,
  },
  pollIntervalS: 10,
};

export const exampleTelemetry: Telemetry = {
  v: 1,
  site: 'kz-ekb-01',
  agent: 'gw-1',
  session: 42,
  seq: 7,
  samples: [
    {
      ts: T,
      meterKw: 10.2,
      meterKwh: 183_402.5,
      minerKw: 9.6,
      estimatedKw: 6.3,
      counts: { hashing: 2, idle: 0, sleeping: 1, offline: 0, error: 0, total: 3 },
      hashrateThs: 221.4,
      revision: 12,
      curtailedMiners: 1,
    },
  ],
  miners: [
    { id: '10.0.0.11', model: 'Antminer S19 Pro', firmware: 'antminer', state: 'hashing', w: 3150, powerSource: 'estimated', ths: 108.2, jth: 29.1, tempC: 71 },
    { id: '10.0.0.12', model: 'Antminer S19 Pro', firmware: 'antminer', state: 'hashing', w: 3170, powerSource: 'estimated', ths: 113.2, jth: 28.0, tempC: 69 },
    { id: '10.0.0.13', model: 'Whatsminer M30S+', firmware: 'whatsminer', state: 'sleeping', w: 60, powerSource: 'reported', ths: 0, jth: null, tempC: 35, asleepByAgent: true },
  ],
};

export const exampleAck: TelemetryAck = { v: 1, session: 42, seq: 7 };

/** Unsigned; tests and docs sign it with a generated key. */
export const exampleControl: Omit<Control, 'sig' | 'keyId'> = {
  v: 1,
  site: 'kz-ekb-01',
  agent: 'gw-1',
  revision: 12,
  issuedAt: T,
  validFrom: T,
  validUntil: T + 2 * 3600_000,
  mode: 'max_kw',
  value: 40_000,
  level: 'sleep',
  strategy: 'least_efficient_first',
  rampSeconds: 120,
  priority: 'high',
  reason: 'KEGOC dispatch 2026-11-18 evening peak',
  eventIds: ['ev-20261118-01'],
};

export const exampleControlReport: ControlReport = {
  v: 1,
  site: 'kz-ekb-01',
  agent: 'gw-1',
  revision: 12,
  status: 'holding',
  achievedKw: 39_210,
  targetKw: 40_000,
  minersAsleep: 212,
  ts: T + 95_000,
};

export const exampleCollectorState: CollectorState = { v: 1, online: true, ts: T, instance: 'collector-a' };
