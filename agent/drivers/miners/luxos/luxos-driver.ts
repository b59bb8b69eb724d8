import { AppError } from '../../../../shared/errors.js';
import { cgminerCommand, cgminerJoined, CGMINER_PORT, type CgminerTarget, type JoinMemory } from '../transport/cgminer-client.js';
import { DEFAULT_CONFIRM_TIMEOUT_MS, EXPECT, performAction } from '../confirm-action.js';
import { failedReading } from '../reading-helpers.js';
import type { ActionOptions, ActionResult, DriverContext, MinerCapabilities, MinerDriver, MinerEndpoint, MinerReading } from '../miner-driver.js';
import { luxosReading, parseLuxosConfig, parseLuxosProfiles, pickProfileForTarget, type LuxosProfile } from './luxos-parsers.js';
import { LuxosSession } from './luxos-session.js';

/**
 * LuxOS (LUXminer) over the cgminer API on TCP 4028. Reads `power`, `summary`,
 * `stats` and `config` (joined when the firmware accepts it); sleeps and wakes
 * with `curtail <sid>,sleep|wakeup`; power targets pick a `profileset` profile
 * (LuxOS has no free watt target; profiles are its power steps).
 */
export function createLuxosDriver(endpoint: MinerEndpoint, context: DriverContext): MinerDriver {
  const now = context.now ?? Date.now;
  const target: CgminerTarget = { host: endpoint.host, port: endpoint.port ?? CGMINER_PORT, timeoutMs: context.requestTimeoutMs };
  const session = new LuxosSession(target, now);
  const joinMemory: JoinMemory = {};
  let profiles: LuxosProfile[] | undefined;

  async function loadProfiles(): Promise<LuxosProfile[]> {
    if (!profiles) profiles = parseLuxosProfiles(await cgminerCommand(target, 'profiles'));
    return profiles;
  }

  async function read(): Promise<MinerReading> {
    try {
      const replies = await cgminerJoined(target, ['power', 'summary', 'stats', 'config'], joinMemory);
      const reading = luxosReading({ power: replies.power!, summary: replies.summary!, stats: replies.stats!, config: replies.config! }, endpoint, now());
      if (!profiles) await loadProfiles().catch(() => undefined);
      // LuxOS has no watt target of its own: the active profile's watts are its power target.
      const active = profiles && parseLuxosConfig(replies.config!).profile;
      const profile = active ? profiles!.find((p) => p.name === active) : undefined;
      if (profile) reading.powerTargetW = profile.watts;
      return reading;
    } catch (err) {
      return failedReading(endpoint, 'luxos', err, now());
    }
  }

  const confirmTimeout = (options?: ActionOptions) => options?.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;

  return {
    firmware: 'luxos',
    endpoint,
    read,
    capabilities(): MinerCapabilities {
      const range = profiles && profiles.length > 0 ? { minW: profiles[0]!.watts, maxW: profiles[profiles.length - 1]!.watts } : {};
      return { sleep: true, wake: true, powerTarget: range };
    },
    sleep(options?: ActionOptions): Promise<ActionResult> {
      return performAction({ ...EXPECT.sleep, send: async () => void (await session.command('curtail', 'sleep')), read, confirmTimeoutMs: confirmTimeout(options), sendOnly: options?.sendOnly === true, now });
    },
    wake(options?: ActionOptions): Promise<ActionResult> {
      return performAction({ ...EXPECT.wake, send: async () => void (await session.command('curtail', 'wakeup')), read, confirmTimeoutMs: confirmTimeout(options), sendOnly: options?.sendOnly === true, now });
    },
    async setPowerTarget(watts: number, options?: ActionOptions): Promise<ActionResult> {
      const before = await read();
      let chosen: LuxosProfile | undefined;
      const send = async () => {
        if (!Number.isFinite(watts) || watts <= 0) throw new AppError('USAGE', `power target must be a positive number of watts, got ${watts}`);
        const list = await loadProfiles();
        chosen = pickProfileForTarget(list, watts);
        if (!chosen) throw new AppError('UNSUPPORTED', `${target.host}: LuxOS reported no profiles to set a power target with`);
        // ATM (advanced thermal management) overrides the chosen profile when enabled; turn it off first.
        const config = parseLuxosConfig(await cgminerCommand(target, 'config'));
        if (config.atmEnabled) await session.command('atmset', 'enabled=false');
        await session.command('profileset', chosen.name);
      };
      // Confirmed against the profile chosen (its watts are the target the miner reads back), once sent.
      const expectation = () => EXPECT.powerTarget(chosen?.watts ?? watts, before.powerW);
      return performAction({
        ...expectation(),
        reached: (r) => expectation().reached(r),
        unchanged: (r) => expectation().unchanged(r),
        send,
        read,
        confirmTimeoutMs: confirmTimeout(options),
        sendOnly: options?.sendOnly === true,
        now,
      });
    },
  };
}
