/**
 * Compares the structure of two JSON values: keys, types and nesting, not
 * values. Used to hold the emulator to the real firmware captures: every
 * difference is one line naming the path, so a new capture shows at once what
 * the emulator lacks (or invents).
 *
 * Rules, chosen for how firmware replies vary from unit to unit:
 * - numbers are numbers (an integer where the capture has 0.0 is fine);
 * - `null` in the capture matches anything (firmwares leave unknowns null);
 * - keys that differ only by a trailing index (`fan1`…`fan4`, `chain_acn3`,
 *   `Error Code 0`) are one family: a miner with three fans is not a different
 *   shape from one with four;
 * - array element i is compared with capture element i, or with the capture's
 *   last when the emulator has more (a fourth pool shaped like the third); an
 *   empty array in the capture says nothing about element shape.
 */

type Kind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function kindOf(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'boolean' || t === 'number' || t === 'string') return t;
  return 'object';
}

/** `fan12` → `fan#`, `Error Code 0` → `Error Code #`, `temp2_3` → `temp2_#`. */
export function keyFamily(key: string): string {
  return key.replace(/\d+$/, '#');
}

function families(obj: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of Object.keys(obj)) {
    const family = keyFamily(key);
    const list = out.get(family);
    if (list) list.push(key);
    else out.set(family, [key]);
  }
  return out;
}

export function shapeDiff(capture: unknown, emulated: unknown, path = '$'): string[] {
  const want = kindOf(capture);
  const got = kindOf(emulated);
  if (want === 'null') return [];
  if (want !== got) return [`${path}: ${want} in the capture, ${got} from the emulator`];
  if (want === 'array') {
    const c = capture as unknown[];
    const e = emulated as unknown[];
    if (c.length === 0) return [];
    if (e.length === 0) return [`${path}: ${c.length} element(s) in the capture, none from the emulator`];
    return e.flatMap((item, i) => shapeDiff(c[Math.min(i, c.length - 1)], item, `${path}[${i}]`));
  }
  if (want === 'object') {
    const c = capture as Record<string, unknown>;
    const e = emulated as Record<string, unknown>;
    const cf = families(c);
    const ef = families(e);
    const out: string[] = [];
    for (const [family, keys] of cf) {
      const mine = ef.get(family);
      if (!mine) {
        out.push(`${path}: missing ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
        continue;
      }
      out.push(...shapeDiff(c[keys[0]!], e[mine[0]!], `${path}.${mine[0]!}`));
    }
    for (const [family, keys] of ef) {
      if (!cf.has(family)) out.push(`${path}: ${keys.map((k) => JSON.stringify(k)).join(', ')} not in the capture`);
    }
    return out;
  }
  return [];
}
