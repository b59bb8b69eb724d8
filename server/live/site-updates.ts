import type { ComplianceService } from '../compliance/compliance-service.js';
import { siteSummary } from '../http/api-context.js';
import type { StorePort } from '../store/store-port.js';
import type { LiveState } from './live-state.js';
import type { StreamHub } from './stream-hub.js';

export interface SiteUpdatesOptions {
  hub: StreamHub;
  store: StorePort;
  live: LiveState;
  compliance: ComplianceService;
  clock: () => number;
}

/**
 * Tells live-stream clients that a site changed. The summary is built when the
 * hub sends (it coalesces per site), so a burst of changes costs one summary.
 */
export function createSiteUpdates(options: SiteUpdatesOptions): (siteId: number) => void {
  const { hub, store, clock } = options;
  return (siteId) => hub.publish('site', String(siteId), async () => {
    const s = await store.sites.getById(siteId);
    return s && await siteSummary(options, s, clock());
  });
}
