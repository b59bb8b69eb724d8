import { AppError } from '../../../../shared/errors.js';
import { blankReading, efficiency, failedReading } from '../reading-helpers.js';
import { cgminerCommand, type CgminerTarget } from '../transport/cgminer-client.js';
import { DEFAULT_CONFIRM_TIMEOUT_MS, EXPECT, performAction } from '../confirm-action.js';
import type { ActionOptions, DriverContext, MinerDriver, MinerEndpoint, MinerReading } from '../miner-driver.js';
import { parseV2Model, parseV2Status, parseV2Summary } from './parse-v2.js';
import { parseV3DeviceInfo, parseV3Summary, v3Msg, type V3DeviceInfo, type V3Summary } from './parse-v3.js';
import { SlowFacts } from '../slow-facts.js';
import { v2Read, v2Write } from './v2-client.js';
import { signV3Command } from './v3-auth.js';
import { v3Request, WHATSMINER_V3_PORT, type V3Target } from './v3-transport.js';

const HASHING_THS = 0.5;

/**
 * MicroBT Whatsminer: reads prefer API v3 (TCP 4433) when it answers, else API
 * v2 (cgminer JSON on 4028). Writes use the same API the reads found: v3
 * `set.miner.service` / `set.miner.power_limit` with salted tokens, or v2
 * `power_off` / `power_on` / `adjust_power_limit` through the encrypted
 * write API. Default passwords as shipped: v3 account "super"/"super", v2 "admin".
 */
export function createWhatsminerDriver(endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const now = context.now ?? Date.now;
  const v2: CgminerTarget = { host: endpoint.host, port: endpoint.port ?? 4028, timeoutMs: context.requestTimeoutMs };
  const v3: V3Target = { host: endpoint.host, port: endpoint.v3Port ?? WHATSMINER_V3_PORT, timeoutMs: context.requestTimeoutMs };
  /** undefined until probed; re-probed after a failure so a firmware upgrade is noticed. */
  let api: 'v2' | 'v3' | undefined;
  let v2Model: string | undefined;
  const deviceInfo = new SlowFacts<V3DeviceInfo>();
  const v2Status = new SlowFacts<ReturnType<typeof parseV2Status>>();
  /** After a failure or one of our writes the cached state facts are stale. */
  const forgetFacts = () => {
    deviceInfo.invalidate();
    v2Status.invalidate();
  };

  const identity = { make: 'MicroBT', model: 'WhatsMiner' };
  const base = (): Omit<MinerReading, 'state'> => blankReading(endpoint, 'whatsminer', identity, now());

  const stateOf = (mining: boolean | null, ths: number): MinerReading['state'] =>
    mining === false ? 'sleeping' : ths > HASHING_THS ? 'hashing' : 'idle';

  function finish(partial: Omit<MinerReading, keyof ReturnType<typeof base>> & Partial<MinerReading>): MinerReading {
    const r = { ...base(), ...partial } as MinerReading;
    r.powerSource = r.powerW === null ? 'none' : 'reported';
    r.efficiencyJth = r.hashrateThs > HASHING_THS ? efficiency(r.powerW, r.hashrateThs) : null;
    return r;
  }

  /**
   * Steady state is one connection: `get.miner.status summary` carries power,
   * hashrate, temperatures, fans, power limit and uptime. `get.device.info`
   * (model, firmware, `working`) is cached; it is asked again when the summary
   * alone cannot tell the state (no hashrate, or the cached info says the
   * service is stopped), every few reads, after a failure and after our writes.
   */
  /** The live figures both API versions report the same way. */
  const summaryFields = (s: V3Summary) => ({
    powerW: s.powerW,
    hashrateThs: s.hashrateThs,
    nominalThs: s.nominalThs,
    maxTempC: s.maxTempC,
    fanRpm: s.fanRpm,
    uptimeS: s.uptimeS,
    ...(s.powerLimitW !== null ? { powerTargetW: s.powerLimitW } : {}),
  });

  async function readV3(): Promise<MinerReading> {
    const s = parseV3Summary(await v3Request(v3, { cmd: 'get.miner.status', param: 'summary' }));
    const cached = deviceInfo.current(s.hashrateThs <= HASHING_THS || deviceInfo.peek()?.working === false);
    const info = cached ?? deviceInfo.remember(parseV3DeviceInfo(await v3Request(v3, { cmd: 'get.device.info' })), now());
    return finish({
      state: stateOf(info.working, s.hashrateThs),
      model: info.model || 'WhatsMiner',
      firmwareVersion: info.firmwareVersion,
      ...summaryFields(s),
    });
  }

  async function readV2(): Promise<MinerReading> {
    const s = parseV2Summary(await cgminerCommand(v2, 'summary'));
    // `status` only adds btmineroff (and the firmware version): same rule as v3's device info.
    const status = v2Status.current(s.hashrateThs <= HASHING_THS || v2Status.peek()?.mining === false) ?? v2Status.remember(parseV2Status(await v2Read(v2, 'status')), now());
    if (v2Model === undefined) {
      try {
        v2Model = parseV2Model(await cgminerCommand(v2, 'devdetails')) ?? 'WhatsMiner';
      } catch {
        v2Model = 'WhatsMiner'; // the model is a label; its absence must not fail the reading
      }
    }
    return finish({
      state: stateOf(status.mining, s.hashrateThs),
      model: v2Model,
      firmwareVersion: s.firmwareVersion || status.firmwareVersion,
      ...summaryFields(s),
    });
  }

  async function chooseApi(): Promise<'v2' | 'v3'> {
    if (api) return api;
    try {
      // Any v3 reply means v3; the probe asks for the whole device info so the first read can use it.
      const reply = await v3Request(v3, { cmd: 'get.device.info' });
      api = 'v3';
      try {
        deviceInfo.remember(parseV3DeviceInfo(reply), now());
      } catch {
        /* the read asks again and reports the refusal */
      }
    } catch {
      api = 'v2';
    }
    return api;
  }

  async function read(): Promise<MinerReading> {
    try {
      return (await chooseApi()) === 'v3' ? await readV3() : await readV2();
    } catch (err) {
      api = undefined;
      forgetFacts();
      return failedReading(endpoint, 'whatsminer', err, now(), identity);
    }
  }

  async function v3Set(cmd: string, param: unknown): Promise<void> {
    try {
      const info = parseV3DeviceInfo(await v3Request(v3, { cmd: 'get.device.info', param: 'salt' }));
      if (!info.salt) throw new AppError('PROTOCOL', `${endpoint.host}: get.device.info returned no salt`);
      const auth = { password: endpoint.password ?? 'super', salt: info.salt, ts: Math.floor(now() / 1000), account: endpoint.username ?? 'super' };
      v3Msg(await v3Request(v3, signV3Command(cmd, param, auth)), cmd);
    } finally {
      forgetFacts(); // whatever the reply, the next read asks for the state again
    }
  }

  const v2Password = () => endpoint.password ?? 'admin';
  const v2WriteFresh = async (command: Parameters<typeof v2Write>[2]): Promise<void> => {
    try {
      await v2Write(v2, v2Password(), command);
    } finally {
      forgetFacts();
    }
  };
  const timeout = (o?: ActionOptions) => o?.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;

  return {
    firmware: 'whatsminer',
    endpoint,
    read,
    capabilities: () => ({ sleep: true, wake: true, powerTarget: {} }),
    sleep: (o) =>
      performAction({
        ...EXPECT.sleep, read, now, confirmTimeoutMs: timeout(o), sendOnly: o?.sendOnly === true,
        send: async () => {
          if ((await chooseApi()) === 'v3') await v3Set('set.miner.service', 'stop');
          else await v2WriteFresh({ cmd: 'power_off', respbefore: 'true' });
        },
      }),
    wake: (o) =>
      performAction({
        ...EXPECT.wake, read, now, confirmTimeoutMs: timeout(o), sendOnly: o?.sendOnly === true,
        send: async () => {
          if ((await chooseApi()) === 'v3') await v3Set('set.miner.service', 'start');
          else await v2WriteFresh({ cmd: 'power_on' });
        },
      }),
    setPowerTarget: async (watts, o) => {
      if (!Number.isFinite(watts) || watts <= 0) {
        return { ok: false, reason: 'unsupported', message: `power target ${watts} W is not a positive number`, elapsedMs: 0 };
      }
      const before = await read();
      const target = Math.round(watts);
      return performAction({
        ...EXPECT.powerTarget(target, before.powerW), read, now, confirmTimeoutMs: timeout(o), sendOnly: o?.sendOnly === true,
        send: async () => {
          if ((await chooseApi()) === 'v3') await v3Set('set.miner.power_limit', target);
          else await v2WriteFresh({ cmd: 'adjust_power_limit', power_limit: String(target) });
        },
      });
    },
  };
}
