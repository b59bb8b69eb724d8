import { readOpenFileLimit } from '../../shared/open-file-limit.js';

/** Descriptors kept back for the process itself: stdio, libuv, DNS, module files. */
const RESERVED_FDS = 64;
/**
 * A miner in flight holds one socket at a time (the miner-sleep bench: 532
 * descriptors at --concurrency 512, 820 at 800); two per miner leaves room for
 * sockets still closing when the next request opens.
 */
const FDS_PER_MINER = 2;

/**
 * The concurrency the open-file limit allows: `wanted`, or less when acting on
 * that many miners at once could run out of descriptors (EMFILE would fail
 * miners halfway through, after others were already asleep).
 */
export function concurrencyWithinOpenFiles(wanted: number, limit = readOpenFileLimit()): { concurrency: number; softLimit?: number } {
  if (!limit || !Number.isFinite(limit.soft)) return { concurrency: wanted };
  const allowed = Math.max(1, Math.floor((limit.soft - RESERVED_FDS) / FDS_PER_MINER));
  return wanted <= allowed ? { concurrency: wanted } : { concurrency: allowed, softLimit: limit.soft };
}
