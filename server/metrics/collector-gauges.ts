import type { ComplianceService } from '../compliance/compliance-service.js';
import type { LiveState } from '../live/live-state.js';
import type { StorePort } from '../store/store-port.js';
import type { LiveGauges } from './collector-metrics.js';

/** The figures /metrics reads at scrape time, from the live view, compliance and the store. */
export function collectorGauges(store: StorePort, live: LiveState, compliance: ComplianceService, clock: () => number): LiveGauges {
  return {
    dbSizeBytes: () => store.sizeBytes(),
    sitesTotal: async () => (await store.sites.list()).length,
    sitesOnline: () => live.siteIds().filter((id) => live.view(id, clock()).online).length,
    agentsOnline: () => live.siteIds().reduce((a, id) => a + live.view(id, clock()).agentsOnline, 0),
    fleetKw: () => live.siteIds().reduce((a, id) => a + live.view(id, clock()).kw, 0),
    violationsOpen: () => compliance.openCount(),
    siteDraw: async () => {
      const sites = await store.sites.list();
      const now = clock();
      return sites.map((s) => ({ site: s.site, kw: live.view(s.id, now).kw, allocationKw: s.registered ? s.allocationKw : 0 }));
    },
  };
}
