import { connect } from 'node:net';
import { cgminerRaw, CGMINER_PORT } from './transport/cgminer-client.js';
import { parseLenientJson } from './transport/lenient-json.js';
import { httpJson } from './transport/http-json-client.js';
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
 * Identifies a miner's firmware from what it says about itself: the cgminer
 * API `version` (then `stats`) descriptions — LUXminer, BOSminer, btminer,
 * bmminer/cgminer on an Antminer — then the Whatsminer v3 port, then the
 * Braiins OS REST login route. Undefined when nothing answers in a known way.
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
  const target = { host, port: options.port ?? CGMINER_PORT, timeoutMs: options.timeoutMs };
  let answered = false;
  for (const command of ['version', 'stats']) {
    let text: string;
    try {
      text = await cgminerRaw(target, { command });
    } catch (err) {
      if (!isAppError(err, 'UNREACHABLE')) answered = answered || !isAppError(err, 'TIMEOUT');
      break; // nothing usable on 4028: try the other doors
    }
    answered = true;
    const found = firmwareFromText(text);
    if (found) return { firmware: found, answered };
  }
  if (await portOpen(host, options.v3Port ?? 4433, options.timeoutMs)) return { firmware: 'whatsminer', answered: true };
  try {
    const res = await httpJson({ host, port: options.httpPort ?? 80, timeoutMs: options.timeoutMs }, { method: 'POST', path: '/api/v1/auth/login', body: { username: '', password: '' } });
    answered = true;
    // Braiins answers its login route with JSON (a token or a refusal); other web UIs answer 404 or HTML.
    if ((res.status === 200 || res.status === 400 || res.status === 401 || res.status === 403) && res.json !== undefined) return { firmware: 'braiins', answered };
  } catch {
    // no web server
  }
  return { answered };
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
