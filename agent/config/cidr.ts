/** IPv4 CIDR ranges for miner discovery; bounded so a typo cannot schedule a /8 scan. */

export const MAX_RANGE_HOSTS = 65_536;

export type CidrParse = { ok: true; base: number; size: number } | { ok: false; problem: string };

export function parseCidrRange(text: string): CidrParse {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return { ok: false, problem: `"${text}" is not an IPv4 CIDR range` };
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return { ok: false, problem: `"${text}" has an octet over 255 or a prefix over 32` };
  const size = 2 ** (32 - bits);
  if (size > MAX_RANGE_HOSTS) return { ok: false, problem: `"${text}" has ${size} addresses, at most ${MAX_RANGE_HOSTS}` };
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const base = ip - (ip % size);
  return { ok: true, base, size };
}

export function ipToString(ip: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join('.');
}

/**
 * Every address of a range, its first and last too, as `hashwatt scan` asks
 * them: a configured range is often a slice of a larger subnet where .0 is a
 * host (docs/decisions.md, "scan asks every address of a range").
 */
export function hostsOf(text: string): string[] {
  const parsed = parseCidrRange(text);
  if (!parsed.ok) return [];
  const out: string[] = [];
  for (let i = 0; i < parsed.size; i++) out.push(ipToString(parsed.base + i));
  return out;
}
