/**
 * Preloaded into the CLI under test by the miner-sleep bench (`node --import`):
 * at exit, writes the process's own resource usage as one JSON line to fd 3,
 * a pipe the bench opened. Node gives a parent no rusage of its children, and
 * sampling /proc from outside misses the last moments before exit.
 * Without fd 3 (run by hand) it writes nothing.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const r = process.resourceUsage();
  try {
    writeSync(3, `${JSON.stringify({ userUs: r.userCPUTime, systemUs: r.systemCPUTime, maxRssKb: r.maxRSS })}\n`);
  } catch {
    // no fd 3: not run by the bench
  }
});
