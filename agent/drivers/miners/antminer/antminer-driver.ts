import { blankReading, failedReading } from '../reading-helpers.js';
import { cgminerCommand, type CgminerTarget } from '../transport/cgminer-client.js';
import type { HttpTarget } from '../transport/http-json-client.js';
import { DEFAULT_CONFIRM_TIMEOUT_MS, EXPECT, performAction } from '../confirm-action.js';
import type { ActionOptions, ActionResult, DriverContext, MinerDriver, MinerEndpoint, MinerReading } from '../miner-driver.js';
import { getMinerConf, setMinerMode, type CgiCredentials } from './cgi-client.js';
import { estimateAntminerPowerW, lookupAntminerModel } from './model-table.js';
import { parseStockStats } from './parse-stock.js';

const SLEEP_MODE = 1;
const NORMAL_MODE = 0;
/** Below this the boards are not hashing (same threshold as confirm-action's EXPECT). */
const HASHING_THS = 0.5;

/**
 * Stock Bitmain firmware: reads over the cgminer API (`stats` alone: one
 * connection per reading; no joined commands on S19), power estimated from the model table, sleep/wake
 * through the web CGI `miner-mode`. No power target on stock firmware.
 */
export function createAntminerDriver(endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const now = context.now ?? Date.now;
  const api: CgminerTarget = { host: endpoint.host, port: endpoint.port ?? 4028, timeoutMs: context.requestTimeoutMs };
  const web: HttpTarget = { host: endpoint.host, port: endpoint.httpPort ?? 80, timeoutMs: context.requestTimeoutMs };
  const creds: CgiCredentials = { username: endpoint.username ?? 'root', password: endpoint.password ?? 'root' };
  /** The work mode before we slept it (normal 0, or a low-power mode 3), so wake restores it. */
  let modeBeforeSleep: number | undefined;

  const identity = { make: 'Bitmain', model: 'Antminer' };
  const base = (): Omit<MinerReading, 'state'> => blankReading(endpoint, 'antminer', identity, now());

  async function read(): Promise<MinerReading> {
    try {
      // One round trip: bmminer's `stats` carries `GHS 5s`, temperatures, fans,
      // `Elapsed` and `Type`; `summary` repeats the same hashrate, so it is not asked.
      const parsed = parseStockStats(await cgminerCommand(api, 'stats'));
      const spec = lookupAntminerModel(parsed.type);
      let state: MinerReading['state'] = parsed.hashrateThs > HASHING_THS ? 'hashing' : 'idle';
      if (state === 'idle') {
        // Zero hashrate is either sleep mode or a miner starting up; only the CGI config tells them apart.
        try {
          if ((await getMinerConf(web, creds)).workMode === SLEEP_MODE) state = 'sleeping';
        } catch {
          /* web UI unreachable or refusing us: stay with idle */
        }
      }
      const powerW = spec ? estimateAntminerPowerW(spec, parsed.hashrateThs, state === 'sleeping') : null;
      return {
        ...base(),
        model: parsed.type,
        firmwareVersion: parsed.firmwareVersion,
        state,
        powerW,
        powerSource: powerW === null ? 'none' : 'estimated',
        hashrateThs: parsed.hashrateThs,
        nominalThs: spec?.nominalThs ?? null,
        efficiencyJth: powerW !== null && parsed.hashrateThs > HASHING_THS ? powerW / parsed.hashrateThs : null,
        maxTempC: parsed.maxTempC,
        fanRpm: parsed.fanRpm,
        uptimeS: parsed.uptimeS,
      };
    } catch (err) {
      return failedReading(endpoint, 'antminer', err, now(), identity);
    }
  }

  const confirmTimeout = (options?: ActionOptions) => options?.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;

  return {
    firmware: 'antminer',
    endpoint,
    read,
    capabilities: () => ({ sleep: true, wake: true, powerTarget: false }),
    sleep: (options) =>
      performAction({
        ...EXPECT.sleep,
        read,
        confirmTimeoutMs: confirmTimeout(options),
        sendOnly: options?.sendOnly === true,
        now,
        send: async () => {
          const conf = await getMinerConf(web, creds);
          if (conf.workMode !== SLEEP_MODE) modeBeforeSleep = conf.workMode;
          await setMinerMode(web, creds, conf, SLEEP_MODE);
        },
      }),
    wake: (options) =>
      performAction({
        ...EXPECT.wake,
        read,
        confirmTimeoutMs: confirmTimeout(options),
        sendOnly: options?.sendOnly === true,
        now,
        send: async () => {
          const conf = await getMinerConf(web, creds);
          const target = conf.workMode !== SLEEP_MODE ? conf.workMode : (modeBeforeSleep ?? NORMAL_MODE);
          await setMinerMode(web, creds, conf, target);
        },
      }),
    setPowerTarget: async (): Promise<ActionResult> => ({
      ok: false,
      reason: 'unsupported',
      message: `${endpoint.host}: stock Antminer firmware has no power target (UNSUPPORTED); use sleep/wake or a firmware with power tuning`,
      elapsedMs: 0,
    }),
  };
}
