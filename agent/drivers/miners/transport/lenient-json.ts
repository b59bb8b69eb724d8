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
  // Hot path (every reading): most replies are valid JSON as they come, and
  // JSON.parse already skips surrounding whitespace; no regex or copy first.
  try {
    return JSON.parse(text);
  } catch {
    // fall through to terminator stripping and the repair pass
  }
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** A bare word (`inf`, `true`) is looked at up to this many characters, sign included. */
const WORD_WINDOW = 12;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0b || c === 0x0c;
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * One pass over the text, tracking whether we are inside a string, rewriting
 * only outside strings. Untouched spans are copied as slices and characters
 * compared by code, so a firmware whose every reply needs repair (a `}{` in
 * each `stats`) costs one linear scan per reading, not a regex per character.
 */
export function repairJson(text: string): string {
  const parts: string[] = [];
  /** Start of the span not yet copied to `parts`. */
  let copied = 0;
  let i = 0;
  const n = text.length;
  const nextSignificant = (from: number): number => {
    let j = from;
    while (j < n && isSpace(text.charCodeAt(j))) j++;
    return j < n ? text.charCodeAt(j) : -1;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH && j + 1 < n) {
          j += 2;
          continue;
        }
        if (d < 0x20) {
          // A raw control character inside a string: escape it.
          parts.push(text.slice(copied, j), `\\u${d.toString(16).padStart(4, '0')}`);
          copied = j + 1;
        }
        j++;
      }
      if (j >= n) {
        // Unterminated string: close it.
        parts.push(text.slice(copied, n), '"');
        copied = n;
      }
      i = j + 1;
      continue;
    }
    if (c === COMMA) {
      const next = nextSignificant(i + 1);
      if (next === CLOSE_BRACE || next === CLOSE_BRACKET || next === -1) {
        parts.push(text.slice(copied, i)); // drop the trailing comma
        copied = i + 1;
      }
      i++;
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      i++;
      const next = nextSignificant(i);
      if (next === OPEN_BRACE || (c === CLOSE_BRACKET && next === OPEN_BRACKET)) {
        parts.push(text.slice(copied, i), ','); // glued values: insert the missing comma
        copied = i;
      }
      continue;
    }
    if (isLetter(c) || c === MINUS) {
      const wordStart = c === MINUS ? i + 1 : i;
      const limit = Math.min(n, i + WORD_WINDOW);
      let j = wordStart;
      while (j < limit && isLetter(text.charCodeAt(j))) j++;
      if (j > wordStart) {
        if (NON_FINITE.has(text.slice(wordStart, j).toLowerCase())) {
          parts.push(text.slice(copied, i), 'null');
          copied = j;
          i = j;
          continue;
        }
        if (c !== MINUS) {
          i = j; // a word (true, false, null, or garbage for JSON.parse to name) is copied whole
          continue;
        }
      }
    }
    i++;
  }
  parts.push(text.slice(copied));
  return parts.join('');
}
