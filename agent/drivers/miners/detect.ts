import { cgminerRaw, CGMINER_PORT } from './transport/cgminer-client.js';
import { replyText, askCgminer, type DetectTarget } from './detection.js';
import { DETECTION_ORDER, detectionOf } from './registry.js';
import type { FirmwareName } from './miner-driver.js';
import { isAppError } from '../../../shared/errors.js';

export interface DetectOptions {
  /** cgminer API port (default 4028). */
  port?: number;
  /** Braiins REST / web port (default 80). */
  httpPort?: number;
  /** Whatsminer API v3 port (default 4433). */
  v3Port?: number;
  timeoutMs: number;
}

/**
 * Identifies a miner's firmware from what it answers, asking each driver's
 * declared detection (registry.ts, DETECTION_ORDER): first the words in the
 * cgminer API's `version` (then `stats`) reply, then each driver's own cgminer
 * questions (btminer's `get_version`), then each driver's own door (Whatsminer
 * API v3, Braiins OS REST). Undefined when nothing answers in a known way.
 */
export async function detectFirmware(host: string, options: DetectOptions): Promise<FirmwareName | undefined> {
  return (await identifyMiner(host, options)).firmware;
}

export interface Identification {
  firmware?: FirmwareName;
  /** Something answered on one of the ports (so an undefined firmware means "unknown device", not "nothing there"). */
  answered: boolean;
}

export async function identifyMiner(host: string, options: DetectOptions): Promise<Identification> {
  const target: DetectTarget = { host, ...options };
  const api = { host, port: options.port ?? CGMINER_PORT, timeoutMs: options.timeoutMs };
  let answered = false;
  let cgminerOpen = false;
  for (const command of ['version', 'stats']) {
    let text: string;
    try {
      text = replyText(await cgminerRaw(api, { command }));
    } catch (err) {
      if (!isAppError(err, 'UNREACHABLE')) answered = answered || !isAppError(err, 'TIMEOUT');
      break; // nothing usable on the cgminer port: try the other doors
    }
    answered = cgminerOpen = true;
    const found = firmwareFromText(text);
    if (found) return { firmware: found, answered };
  }
  if (cgminerOpen) {
    for (const firmware of DETECTION_ORDER) {
      for (const probe of detectionOf(firmware).cgminerProbes ?? []) {
        const text = await askCgminer(target, probe.command);
        if (text !== undefined && probe.answers.test(text)) return { firmware, answered };
      }
    }
  }
  for (const firmware of DETECTION_ORDER) {
    const door = detectionOf(firmware).ownDoor;
    if (door && (await door(target))) return { firmware, answered: true };
  }
  return { answered };
}

/** Firmware named by a cgminer API reply (version, stats or any STATUS Description), by each driver's declared words. */
export function firmwareFromText(text: string): FirmwareName | undefined {
  const haystack = replyText(text);
  return DETECTION_ORDER.find((firmware) => detectionOf(firmware).names?.test(haystack));
}
