import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../shared/log/logger.js';

/**
 * Runs `cycle` on a cron schedule with no overlap: a tick that finds the
 * previous cycle still running is counted and logged as an overrun and
 * skipped, never queued (a queue would only fall further behind).
 */
export function createPoller(options: { cron: string; cycle: () => Promise<void>; log: Logger }) {
  let task: ScheduledTask | undefined;
  let running: Promise<void> | undefined;
  let overruns = 0;
  let cycles = 0;

  function run(): Promise<void> {
    if (running) {
      overruns++;
      options.log.warn({ overruns }, 'poll cycle overran its interval; skipping this tick');
      return running;
    }
    cycles++;
    running = options
      .cycle()
      .catch((err: Error) => options.log.error({ err }, 'poll cycle failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    start(): void {
      task = cron.schedule(options.cron, () => void run(), { name: `poll-${Math.random().toString(36).slice(2)}` });
    },
    /** Runs a cycle now (startup), with the same no-overlap rule. */
    runNow: run,
    async stop(): Promise<void> {
      if (task) {
        await task.stop();
        await task.destroy();
      }
      task = undefined;
      await running;
    },
    stats: () => ({ cycles, overruns }),
  };
}
