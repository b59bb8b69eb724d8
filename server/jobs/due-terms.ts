import type { Logger } from '../../shared/log/logger.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { StorePort } from '../store/store-port.js';

export interface DueTermsOptions {
  store: StorePort;
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
export function createDueTerms(options: DueTermsOptions): () => Promise<void> {
  const { store, compliance, siteChanged, log, clock } = options;
  let checkedTo = 0;
  let running: Promise<void> | undefined;
  async function applyDue(): Promise<void> {
    const now = clock();
    try {
      for (const id of await store.sites.applyDueTerms(checkedTo, now)) {
        compliance.forget(id);
        siteChanged(id);
      }
      checkedTo = now;
    } catch (err) {
      log.warn({ err }, 'could not apply dated site terms');
    }
  }
  /** One pass at a time: a slow store must not let the every-second timer stack passes up. */
  return function applyDueTerms(): Promise<void> {
    running ??= applyDue().finally(() => { running = undefined; });
    return running;
  };
}
