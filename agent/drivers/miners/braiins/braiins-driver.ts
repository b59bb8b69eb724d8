import { AppError, isAppError } from '../../../../shared/errors.js';
import { cgminerCommand, cgminerJoined, CGMINER_PORT, type CgminerTarget, type JoinMemory } from '../transport/cgminer-client.js';
import { DEFAULT_CONFIRM_TIMEOUT_MS, EXPECT, performAction } from '../confirm-action.js';
import { failedReading } from '../reading-helpers.js';
import type { ActionOptions, ActionResult, DriverContext, MinerCapabilities, MinerDriver, MinerEndpoint, MinerReading } from '../miner-driver.js';
import {
  bosminerReading,
  braiinsApiWithDetailsReading,
  braiinsRestReading,
  parseBosminerSummary,
  parseBraiinsRestDetails,
  parseBraiinsRestStats,
  type BosminerParts,
  type BraiinsMinerStatus,
} from './braiins-parsers.js';
import { BraiinsRestClient } from './braiins-rest-client.js';
import { DEFAULT_REFRESH_EVERY, SlowFacts } from '../slow-facts.js';
import { closeIdleSockets, createMinerAgent } from '../transport/keep-alive-agent.js';

type Mode = 'rest' | 'bosminer';

/** Same threshold as confirm-action's EXPECT: at or below it the miner is not clearly hashing. */
const HASHING_THS = 0.5;

interface SlowRestFacts {
  details: unknown;
  /** `tuner-state`, asked only when reading over REST alone (the cgminer API's tunerstatus has the power limit). */
  tuner: unknown;
  withTuner: boolean;
  status: BraiinsMinerStatus;
}

/**
 * Braiins OS: the REST API when the miner serves it (25.07+), else the BOSminer
 * cgminer API on 4028. The mode is found on first use and kept. A REST miner
 * reads its telemetry through the cgminer API too (one connection per poll,
 * see readRest); one whose login is refused still reads through the cgminer
 * API alone, but its actions report `auth_failed` (they need the REST token).
 */
export function createBraiinsDriver(endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const now = context.now ?? Date.now;
  const cg: CgminerTarget = { host: endpoint.host, port: endpoint.port ?? CGMINER_PORT, timeoutMs: context.requestTimeoutMs };
  // Braiins OS ships with user root and an empty password.
  const agent = createMinerAgent();
  const rest = new BraiinsRestClient(
    { host: endpoint.host, port: endpoint.httpPort ?? 80, timeoutMs: context.requestTimeoutMs, agent },
    { username: endpoint.username ?? 'root', password: endpoint.password ?? '' },
  );
  const joinMemory: JoinMemory = {};
  let mode: Mode | undefined;
  /** Reads left over REST alone before trying a REST miner's cgminer API again (it failed). */
  let apiRetryIn = 0;
  /** `miner/details` (model, version, status, uptime) and `tuner-state` (power target): asked every few reads, see readRest. */
  const slow = new SlowFacts<SlowRestFacts>();

  /** The REST login was refused: say so on the reading, which the cgminer API alone could only partly fill. */
  function withLoginProblem(reading: MinerReading): MinerReading {
    const given = endpoint.username !== undefined || endpoint.password !== undefined;
    const username = endpoint.username ?? 'root';
    const refused = given ? `the Braiins OS REST API refused the login for user '${username}'` : "no login was given for Braiins OS and its REST API refused the factory default (user 'root', empty password)";
    reading.login = {
      firmware: 'braiins',
      username,
      problem: given ? 'refused' : 'missing',
      message: `${refused}: read from the cgminer API alone (no model or firmware version); sleep, wake and power target need the login`,
    };
    return reading;
  }

  async function resolveMode(): Promise<Mode> {
    if (!mode) mode = (await rest.available()) ? 'rest' : 'bosminer';
    return mode;
  }

  /**
   * A REST miner still serves the BOSminer cgminer API on 4028, and one joined
   * `tunerstatus+summary+temps+fans` there carries every value that moves
   * (power, power limit, hashrate, uptime, temperatures, fans) in one
   * connection, where REST needs two HTTP requests. REST adds what the
   * cgminer API lacks or only guesses: model, BOS version, sticker hashrate
   * and the paused status (`miner/details`). That is cached and asked again
   * when the hashrate alone cannot tell the state (at or near zero: paused or
   * starting?), when the cached status is not plain mining, every few reads,
   * after a failed read and after our own pause/resume/power-target.
   */
  async function readRest(): Promise<MinerReading> {
    if (apiRetryIn > 0) {
      apiRetryIn--;
      return readRestOnly();
    }
    let parts: BosminerParts;
    try {
      parts = await readBosminerParts();
    } catch (err) {
      // A miner that does not answer at all is offline; one whose cgminer API is off or unusable reads over REST.
      if (isAppError(err, 'TIMEOUT')) throw err;
      apiRetryIn = DEFAULT_REFRESH_EVERY;
      return readRestOnly();
    }
    const hashing = parseBosminerSummary(parts.summary).hashrateThs > HASHING_THS;
    let facts: SlowRestFacts;
    try {
      facts = slow.current(!hashing || slow.peek()?.status !== 'normal') ?? slow.remember(await fetchSlowFacts(false), now());
    } catch (err) {
      if (!isAppError(err, 'AUTH_FAILED')) throw err;
      return withLoginProblem(bosminerReading(parts, endpoint, now())); // REST login refused: what the cgminer API alone can say
    }
    return braiinsApiWithDetailsReading(parts, facts.details, endpoint, now());
  }

  /**
   * REST alone (cgminer API off): `miner/stats` and `cooling/state` every read
   * over one kept-alive connection, `miner/details` and `tuner-state` cached
   * as above; uptime runs on from the cached value in between (a restart
   * shows up first as zero hashrate, which refreshes).
   */
  async function readRestOnly(): Promise<MinerReading> {
    const [stats, cooling] = await Promise.all([rest.call('GET', '/api/v1/miner/stats'), rest.call('GET', '/api/v1/cooling/state').catch(() => undefined)]);
    const hashing = parseBraiinsRestStats(stats).hashrateThs > HASHING_THS;
    const peek = slow.peek();
    const cached = slow.current(!hashing || peek?.status !== 'normal' || !peek.withTuner);
    const facts = cached ?? slow.remember(await fetchSlowFacts(true), now());
    const reading = braiinsRestReading({ stats, details: facts.details, tuner: facts.tuner, cooling }, endpoint, now());
    if (cached && reading.uptimeS !== null) reading.uptimeS += Math.round(slow.ageMs(now()) / 1000);
    return reading;
  }

  async function fetchSlowFacts(withTuner: boolean): Promise<SlowRestFacts> {
    const [details, tuner] = await Promise.all([
      rest.call('GET', '/api/v1/miner/details'),
      withTuner ? rest.call('GET', '/api/v1/performance/tuner-state').catch(() => undefined) : undefined,
    ]);
    return { details, tuner, withTuner, status: parseBraiinsRestDetails(details).status };
  }

  async function readBosminerParts(): Promise<BosminerParts> {
    const replies = await cgminerJoined(cg, ['tunerstatus', 'summary', 'temps', 'fans'], joinMemory);
    return { tunerstatus: replies.tunerstatus!, summary: replies.summary!, temps: replies.temps, fans: replies.fans };
  }

  async function readBosminer(): Promise<MinerReading> {
    return bosminerReading(await readBosminerParts(), endpoint, now());
  }

  async function read(): Promise<MinerReading> {
    try {
      if ((await resolveMode()) === 'rest') {
        try {
          return await readRest();
        } catch (err) {
          if (!isAppError(err, 'AUTH_FAILED')) throw err;
          return withLoginProblem(await readBosminer());
        }
      }
      return await readBosminer();
    } catch (err) {
      slow.invalidate();
      return failedReading(endpoint, 'braiins', err, now());
    } finally {
      closeIdleSockets(agent);
    }
  }

  const confirmTimeout = (options?: ActionOptions) => options?.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;

  /** Runs one of our control commands; afterwards the cached status and power target are stale. */
  async function control(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } finally {
      slow.invalidate();
      closeIdleSockets(agent);
    }
  }

  function pauseOrResume(action: 'pause' | 'resume'): Promise<void> {
    return control(async () => {
      if ((await resolveMode()) === 'rest') await rest.call('PUT', `/api/v1/actions/${action}`, {});
      else await cgminerCommand(cg, action);
    });
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
      return performAction({ ...EXPECT.sleep, send: () => pauseOrResume('pause'), read, confirmTimeoutMs: confirmTimeout(options), sendOnly: options?.sendOnly === true, now });
    },
    wake(options?: ActionOptions): Promise<ActionResult> {
      return performAction({ ...EXPECT.wake, send: () => pauseOrResume('resume'), read, confirmTimeoutMs: confirmTimeout(options), sendOnly: options?.sendOnly === true, now });
    },
    async setPowerTarget(watts: number, options?: ActionOptions): Promise<ActionResult> {
      const before = await read();
      const send = () =>
        control(async () => {
          if ((await resolveMode()) !== 'rest') {
            throw new AppError('UNSUPPORTED', `${endpoint.host}: this Braiins OS has no REST API; the BOSminer API cannot set a power target`);
          }
          await rest.call('PUT', '/api/v1/performance/power-target', { watt: Math.round(watts) });
        });
      return performAction({ ...EXPECT.powerTarget(watts, before.powerW), send, read, confirmTimeoutMs: confirmTimeout(options), sendOnly: options?.sendOnly === true, now });
    },
  };
}
