import cron from 'node-cron';
import type { Logger } from '../../shared/log/logger.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { RollupQueue } from '../pipeline/rollup-queue.js';
import type { Repositories } from '../store/repositories.js';
import { DAY } from '../store/rollup-repository.js';

export interface ScheduledJobsOptions {
  repos: Repositories;
  rollups: RollupQueue;
  applyDueTerms(): void;
  retention: CollectorConfig['retention'];
  log: Logger;
  clock: () => number;
}

/**
 * The collector's timed work: rollups every minute, dated site terms every
 * second (and once now, before the API serves), retention nightly at 03:17.
 * Returns the handle that stops them all.
 */
export function startScheduledJobs(options: ScheduledJobsOptions): { stop(): void } {
  const { repos, rollups, applyDueTerms, retention, log, clock } = options;
  const jobs: Array<{ stop(): unknown }> = [];
  jobs.push(cron.schedule('0 * * * * *', () => rollups.tick(), { name: 'rollups' }));
  applyDueTerms();
  const termsTimer = setInterval(applyDueTerms, 1000);
  jobs.push({ stop: () => clearInterval(termsTimer) });
  jobs.push(cron.schedule('0 17 3 * * *', () => {
    try {
      const t = clock();
      const r = repos.rollups.applyRetention(repos.sites.list().map((s) => s.id), { raw: t - retention.rawDays * DAY, m1: t - retention.rollup1mDays * DAY, h1: t - retention.rollup1hDays * DAY });
      log.info(r, 'retention applied');
    } catch (err) { log.error({ err }, 'retention job failed'); }
  }, { name: 'retention' }));
  return { stop: () => { for (const j of jobs) j.stop(); } };
}
