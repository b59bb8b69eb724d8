import type { Logger } from '../../shared/log/logger.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { Repositories } from '../store/repositories.js';

export interface DueTermsOptions {
  repos: Repositories;
  compliance: ComplianceService;
  /** Tells live-stream clients a site changed. */
  siteChanged(siteId: number): void;
  log: Logger;
  clock: () => number;
}

/**
 * Dated site terms (allocation, hard cap, tariff from a later time) that came due
 * since the last look: applied to the site row, and compliance re-reads the site.
 */
export function createDueTerms(options: DueTermsOptions): () => void {
  const { repos, compliance, siteChanged, log, clock } = options;
  let checkedTo = 0;
  return function applyDueTerms(): void {
    const now = clock();
    try {
      for (const id of repos.sites.applyDueTerms(checkedTo, now)) {
        compliance.forget(id);
        siteChanged(id);
      }
      checkedTo = now;
    } catch (err) {
      log.warn({ err }, 'could not apply dated site terms');
    }
  };
}
