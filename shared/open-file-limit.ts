import { readFileSync } from 'node:fs';

/**
 * This process's RLIMIT_NOFILE from /proc/self/limits (Node raises the soft
 * limit to the hard one at start-up, so this is what we really have). Null
 * where it cannot be read (not Linux): callers then trust the OS to report
 * EMFILE rather than guess.
 */
export function readOpenFileLimit(): { soft: number; hard: number } | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const m = line ? /Max open files\s+(\S+)\s+(\S+)/.exec(line) : null;
    if (!m) return null;
    const parse = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: parse(m[1]), hard: parse(m[2]) };
  } catch {
    return null;
  }
}
