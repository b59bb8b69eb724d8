import { connect } from 'node:net';
import { cgminerRaw, CGMINER_PORT } from './transport/cgminer-client.js';
import { parseLenientJson } from './transport/lenient-json.js';
import { httpJson } from './transport/http-json-client.js';
import type { FirmwareName } from './miner-driver.js';

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
 * Identifies a miner's firmware from what it says about itself: the cgminer
 * API `version` (then `stats`) descriptions — LUXminer, BOSminer, btminer,
 * bmminer/cgminer on an Antminer — then the Whatsminer v3 port, then the
 * Braiins OS REST login route. Undefined when nothing answers in a known way.
 */
export async function detectFirmware(host: string, options: DetectOptions): Promise<FirmwareName | undefined> {
  const target = { host, port: options.port ?? CGMINER_PORT, timeoutMs: options.timeoutMs };
  for (const command of ['version', 'stats']) {
    let text: string;
    try {
      text = await cgminerRaw(target, { command });
    } catch {
      break; // nothing on 4028 (or it hangs): try the other doors
    }
    const found = firmwareFromText(text);
    if (found) return found;
  }
  if (await portOpen(host, options.v3Port ?? 4433, options.timeoutMs)) return 'whatsminer';
  try {
    const res = await httpJson({ host, port: options.httpPort ?? 80, timeoutMs: options.timeoutMs }, { method: 'POST', path: '/api/v1/auth/login', body: { username: '', password: '' } });
    // Braiins answers its login route with JSON (a token or a refusal); other web UIs answer 404 or HTML.
    if ((res.status === 200 || res.status === 400 || res.status === 401 || res.status === 403) && res.json !== undefined) return 'braiins';
  } catch {
    // no web server
  }
  return undefined;
}

/** Firmware named by a cgminer API reply (version, stats or any STATUS Description). */
export function firmwareFromText(text: string): FirmwareName | undefined {
  let haystack = text;
  try {
    haystack = JSON.stringify(parseLenientJson(text));
  } catch {
    // match on the raw text
  }
  if (/luxminer|luxos/i.test(haystack)) return 'luxos';
  if (/bosminer|braiins/i.test(haystack)) return 'braiins';
  if (/btminer|whatsminer|microbt/i.test(haystack)) return 'whatsminer';
  if (/bmminer|antminer|bitmain/i.test(haystack)) return 'antminer';
  if (/"cgminer"/i.test(haystack) && /antminer/i.test(haystack)) return 'antminer';
  return undefined;
}

function portOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
