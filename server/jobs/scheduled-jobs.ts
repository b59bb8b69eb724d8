import cron from 'node-cron';
import type { Logger } from '../../shared/log/logger.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { RollupQueue } from '../pipeline/rollup-queue.js';
import type { StorePort } from '../store/store-port.js';
import { DAY } from '../store/rollup-repository.js';

export interface ScheduledJobsOptions {
  store: StorePort;
  rollups: RollupQueue;
  applyDueTerms(): Promise<void>;
  retention: CollectorConfig['retention'];
  log: Logger;
  clock: () => number;
}

/**
 * The collector's timed work: rollups every minute on every collector (each
 * refreshes the minutes it ingested; a refresh recomputes the minute from the
 * store, so two collectors refreshing one minute agree). Dated site terms are
 * applied once now, before the API serves; then, while this collector leads,
 * every second, with retention nightly at 03:17.
 * Returns the handle that stops them all, and the leader's part.
 */
export async function startScheduledJobs(options: ScheduledJobsOptions): Promise<{ stop(): void; lead(signal: AbortSignal): void }> {
  const { store, rollups, applyDueTerms, retention, log, clock } = options;
  const jobs: Array<{ stop(): unknown }> = [];
  jobs.push(cron.schedule('0 * * * * *', () => rollups.tick(), { name: 'rollups' }));
  await applyDueTerms();
  return {
    stop: () => { for (const j of jobs) j.stop(); },
    lead(signal) {
      const termsTimer = setInterval(() => void applyDueTerms(), 1000);
      const retentionJob = cron.schedule('0 17 3 * * *', async () => {
        try {
          const t = clock();
          const r = await store.rollups.applyRetention((await store.sites.list()).map((s) => s.id), { raw: t - retention.rawDays * DAY, m1: t - retention.rollup1mDays * DAY, h1: t - retention.rollup1hDays * DAY });
          log.info(r, 'retention applied');
        } catch (err) { log.error({ err }, 'retention job failed'); }
      }, { name: 'retention' });
      const stop = () => {
        clearInterval(termsTimer);
        void retentionJob.stop();
      };
      jobs.push({ stop });
      signal.addEventListener('abort', stop, { once: true });
    },
  };
}
