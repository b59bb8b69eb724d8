import { AppError, isAppError } from '../../../../shared/errors.js';
import { cgminerCommand, cgminerJoined, CGMINER_PORT, type CgminerTarget, type JoinMemory } from '../transport/cgminer-client.js';
import { DEFAULT_CONFIRM_TIMEOUT_MS, EXPECT, performAction } from '../confirm-action.js';
import { failedReading } from '../reading-helpers.js';
import type { ActionOptions, ActionResult, DriverContext, MinerCapabilities, MinerDriver, MinerEndpoint, MinerReading } from '../miner-driver.js';
import { bosminerReading, braiinsRestReading } from './braiins-parsers.js';
import { BraiinsRestClient } from './braiins-rest-client.js';

type Mode = 'rest' | 'bosminer';

/**
 * Braiins OS: the REST API when the miner serves it (25.07+), else the BOSminer
 * cgminer API on 4028. The mode is found on first use and kept; a REST miner
 * whose login is refused still reads through the cgminer API, but its actions
 * report `auth_failed` (they need the REST token).
 */
export function createBraiinsDriver(endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const now = context.now ?? Date.now;
  const cg: CgminerTarget = { host: endpoint.host, port: endpoint.port ?? CGMINER_PORT, timeoutMs: context.requestTimeoutMs };
  // Braiins OS ships with user root and an empty password.
  const rest = new BraiinsRestClient(
    { host: endpoint.host, port: endpoint.httpPort ?? 80, timeoutMs: context.requestTimeoutMs },
    { username: endpoint.username ?? 'root', password: endpoint.password ?? '' },
  );
  const joinMemory: JoinMemory = {};
  let mode: Mode | undefined;

  async function resolveMode(): Promise<Mode> {
    if (!mode) mode = (await rest.available()) ? 'rest' : 'bosminer';
    return mode;
  }

  async function readRest(): Promise<MinerReading> {
    const [stats, details, tuner, cooling] = await Promise.all([
      rest.call('GET', '/api/v1/miner/stats'),
      rest.call('GET', '/api/v1/miner/details'),
      rest.call('GET', '/api/v1/performance/tuner-state').catch(() => undefined),
      rest.call('GET', '/api/v1/cooling/state').catch(() => undefined),
    ]);
    return braiinsRestReading({ stats, details, tuner, cooling }, endpoint, now());
  }

  async function readBosminer(): Promise<MinerReading> {
    const replies = await cgminerJoined(cg, ['tunerstatus', 'summary', 'temps', 'fans'], joinMemory);
    return bosminerReading({ tunerstatus: replies.tunerstatus!, summary: replies.summary!, temps: replies.temps, fans: replies.fans }, endpoint, now());
  }

  async function read(): Promise<MinerReading> {
    try {
      if ((await resolveMode()) === 'rest') {
        try {
          return await readRest();
        } catch (err) {
          if (!isAppError(err, 'AUTH_FAILED')) throw err;
          return await readBosminer();
        }
      }
      return await readBosminer();
    } catch (err) {
      return failedReading(endpoint, 'braiins', err, now());
    }
  }

  const confirmTimeout = (options?: ActionOptions) => options?.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;

  async function pauseOrResume(action: 'pause' | 'resume'): Promise<void> {
    if ((await resolveMode()) === 'rest') await rest.call('PUT', `/api/v1/actions/${action}`, {});
    else await cgminerCommand(cg, action);
  }

  return {
    firmware: 'braiins',
    endpoint,
    read,
    capabilities(): MinerCapabilities {
      // The BOSminer cgminer API has no power-target command; REST does (bounds come from the tuner, not exposed here).
      return { sleep: true, wake: true, powerTarget: mode === 'bosminer' ? false : {} };
    },
    sleep(options?: ActionOptions): Promise<ActionResult> {
      return performAction({ ...EXPECT.sleep, send: () => pauseOrResume('pause'), read, confirmTimeoutMs: confirmTimeout(options), now });
    },
    wake(options?: ActionOptions): Promise<ActionResult> {
      return performAction({ ...EXPECT.wake, send: () => pauseOrResume('resume'), read, confirmTimeoutMs: confirmTimeout(options), now });
    },
    async setPowerTarget(watts: number, options?: ActionOptions): Promise<ActionResult> {
      const before = await read();
      const send = async () => {
        if ((await resolveMode()) !== 'rest') {
          throw new AppError('UNSUPPORTED', `${endpoint.host}: this Braiins OS has no REST API; the BOSminer API cannot set a power target`);
        }
        await rest.call('PUT', '/api/v1/performance/power-target', { watt: Math.round(watts) });
      };
      return performAction({ ...EXPECT.powerTarget(watts, before.powerW), send, read, confirmTimeoutMs: confirmTimeout(options), now });
    },
  };
}
