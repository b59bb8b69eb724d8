import { cgminerRaw, CGMINER_PORT } from './transport/cgminer-client.js';
import { parseLenientJson } from './transport/lenient-json.js';

/**
 * How a driver recognises its firmware from what a host answers. Each driver
 * declares its own (agent/drivers/miners/<firmware>/detection.ts) and the
 * registry lists them; detect.ts only runs the questions in order.
 */

/** Where to ask: the endpoint's ports (defaults 4028, 80, 4433) and one request's deadline. */
export interface DetectTarget {
  host: string;
  port?: number;
  httpPort?: number;
  v3Port?: number;
  timeoutMs: number;
}

export interface FirmwareDetection {
  /**
   * Words that name this firmware in a reply to the common cgminer questions
   * (`version`, then `stats`), anywhere in it: a STATUS Description, a
   * VERSION key, the `Type`. Checked in DETECTION_ORDER, most specific first.
   */
  names?: RegExp;
  /**
   * cgminer commands only this firmware answers in a recognisable way, asked
   * when `version` and `stats` named nobody (a btminer on API v2 says only
   * "cgminer 4.9.2" there, but its `get_version` says "whatsminer").
   */
  cgminerProbes?: ReadonlyArray<{ command: string; answers: RegExp }>;
  /** A door of its own (another port or protocol), tried when the cgminer API named nobody. */
  ownDoor?(target: DetectTarget): Promise<boolean>;
}

/** The text of a cgminer reply, normalised through the lenient parser so broken JSON still matches. */
export function replyText(text: string): string {
  try {
    return JSON.stringify(parseLenientJson(text));
  } catch {
    return text;
  }
}

/** One cgminer question for a door probe; undefined when the port does not answer. */
export async function askCgminer(target: DetectTarget, command: string): Promise<string | undefined> {
  try {
    return replyText(await cgminerRaw({ host: target.host, port: target.port ?? CGMINER_PORT, timeoutMs: target.timeoutMs }, { command }));
  } catch {
    return undefined;
  }
}
