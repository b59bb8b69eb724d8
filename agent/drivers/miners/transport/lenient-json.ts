import { AppError } from '../../../../shared/errors.js';

/**
 * Parses JSON as cgminer-family firmwares actually emit it. Known defects, all
 * seen in the field (cgminer API-README, pyasic's and asic-rs's fixups):
 * - a trailing comma before `}` or `]` (`"Elapsed":3,}`),
 * - two objects glued without a comma (`}{`, cgminer `stats` on Antminers),
 * - bare `inf`, `-inf`, `nan`, `-nan` where a number belongs (become `null`),
 * - raw control characters inside strings,
 * - a trailing NUL terminator or whitespace.
 * Valid JSON takes the fast path; repair runs only when JSON.parse fails.
 */
export function parseLenientJson(text: string, where = 'miner reply'): unknown {
  const trimmed = stripTerminators(text);
  if (trimmed === '') throw new AppError('PARSE', `${where}: empty reply`);
  try {
    return JSON.parse(trimmed);
  } catch {
    // fall through to the repair pass
  }
  const repaired = repairJson(trimmed);
  try {
    return JSON.parse(repaired);
  } catch (err) {
    const excerpt = trimmed.length > 120 ? `${trimmed.slice(0, 120)}…` : trimmed;
    throw new AppError('PARSE', `${where}: not JSON even after repair (${(err as Error).message}): ${JSON.stringify(excerpt)}`, { cause: err });
  }
}

function stripTerminators(text: string): string {
  return text.replace(/\0+$/g, '').replace(/\0/g, '').trim();
}

const NON_FINITE = new Set(['inf', 'infinity', 'nan']);

/** One pass over the text, tracking whether we are inside a string, rewriting only outside strings. */
export function repairJson(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  const nextSignificant = (from: number): string | undefined => {
    let j = from;
    while (j < n && /\s/.test(text[j]!)) j++;
    return text[j];
  };
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      let s = '"';
      while (j < n && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < n) {
          s += text[j]! + text[j + 1]!;
          j += 2;
          continue;
        }
        const code = text.charCodeAt(j);
        s += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : text[j]!;
        j++;
      }
      out += `${s}"`;
      i = j + 1;
      continue;
    }
    if (ch === ',') {
      const next = nextSignificant(i + 1);
      if (next === '}' || next === ']' || next === undefined) {
        i++;
        continue;
      }
    }
    if (ch === '}' || ch === ']') {
      out += ch;
      i++;
      const next = nextSignificant(i);
      if (next === '{' || (ch === ']' && next === '[')) out += ',';
      continue;
    }
    if (/[A-Za-z-]/.test(ch)) {
      const match = /^-?[A-Za-z]+/.exec(text.slice(i, i + 12));
      if (match) {
        const word = match[0];
        const bare = word.replace(/^-/, '').toLowerCase();
        if (NON_FINITE.has(bare)) {
          out += 'null';
          i += word.length;
          continue;
        }
        if (!word.startsWith('-')) {
          out += word;
          i += word.length;
          continue;
        }
      }
    }
    out += ch;
    i++;
  }
  return out;
}
