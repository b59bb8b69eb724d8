import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { AppError } from '../../shared/errors.js';
import { readOpenFileLimit } from '../../shared/open-file-limit.js';

/**
 * Every emulated port is one listening socket (we never bind 0.0.0.0, so one
 * socket cannot serve a whole range), so 10,000 miners need ~18,000 file
 * descriptors plus the connections in flight. Node already raises the soft
 * limit to the hard one at start-up; when even the hard limit is short we try
 * util-linux `prlimit` on our own pid (works as root / with CAP_SYS_RESOURCE)
 * and otherwise fail with what to do instead of dying on EMFILE halfway.
 */
export function ensureOpenFileLimit(needed: number): { soft: number; raised: boolean } {
  const limit = readOpenFileLimit();
  if (!limit || limit.soft >= needed) return { soft: limit?.soft ?? Number.NaN, raised: false };
  const want = Math.max(needed, Math.min(limit.hard, 1 << 20));
  try {
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${want}:${Math.max(want, limit.hard)}`], { stdio: 'ignore' });
  } catch {
    // fall through to the check below
  }
  const after = readOpenFileLimit();
  if (after && after.soft >= needed) return { soft: after.soft, raised: true };
  throw new AppError(
    'CONFIG_INVALID',
    `the emulator needs about ${needed} open files but this process may open only ${after?.soft ?? limit.soft}; ` +
      `raise it (ulimit -n ${needed}, or LimitNOFILE= in a systemd unit) or emulate fewer miners`,
  );
}

/** Descriptors this process holds now (0 where /proc is absent). */
export function countOpenFiles(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
