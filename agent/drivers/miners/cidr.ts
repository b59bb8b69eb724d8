import { AppError } from '../../../shared/errors.js';

/** IPv4 CIDR expansion for `hashwatt scan`: `10.0.0.0/24`, a single address, or `10.0.0.5-20`. */

/** A /16 is 65,536 addresses; beyond that a scan is almost certainly a typo. */
export const MAX_SCAN_HOSTS = 65_536;

function ipToInt(ip: string, where: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new AppError('USAGE', `${where}: '${ip}' is not an IPv4 address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * Hosts of one range, every address of it: a scan asks the first and last
 * address too, because a CIDR typed by an operator is often a slice of a
 * larger subnet (127.77.0.0/27 of a /16, 10.0.1.0/24 of a /22), where .0 is
 * a host like any other. On a real /24 they cost two unanswered probes.
 */
export function expandRange(text: string): string[] {
  const where = `range '${text}'`;
  const dash = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(text);
  if (dash) {
    const from = ipToInt(`${dash[1]}${dash[2]}`, where);
    const to = ipToInt(`${dash[1]}${dash[3]}`, where);
    if (to < from) throw new AppError('USAGE', `${where}: the end is below the start`);
    return Array.from({ length: to - from + 1 }, (_, i) => intToIp(from + i));
  }
  const [ip, bitsText] = text.split('/');
  const base = ipToInt(ip ?? '', where);
  if (bitsText === undefined) return [intToIp(base)];
  if (!/^\d{1,2}$/.test(bitsText) || Number(bitsText) > 32) throw new AppError('USAGE', `${where}: prefix length must be 0–32`);
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  if (size > MAX_SCAN_HOSTS) throw new AppError('USAGE', `${where}: ${size} addresses is more than a scan allows (${MAX_SCAN_HOSTS}); split it into smaller ranges`);
  const network = base - (base % size);
  return Array.from({ length: size }, (_, i) => intToIp(network + i));
}

/** All hosts of several ranges, de-duplicated, in order. */
export function expandRanges(ranges: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const r of ranges) for (const h of expandRange(r.trim())) seen.add(h);
  if (seen.size > MAX_SCAN_HOSTS) throw new AppError('USAGE', `${seen.size} hosts is more than one scan allows (${MAX_SCAN_HOSTS})`);
  return [...seen];
}

/** `host`, `host:port` → parts; the port must be 1–65535. */
export function parseHostPort(text: string): { host: string; port?: number } {
  const m = /^([^:\s]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new AppError('USAGE', `'${text}' is not host or host:port`);
  if (m[2] === undefined) return { host: m[1]! };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new AppError('USAGE', `'${text}': port must be 1–65535`);
  return { host: m[1]!, port };
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
