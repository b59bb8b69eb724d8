import type { Logger } from '../../shared/log/logger.js';
import type { StorePort } from '../store/store-port.js';
import type { SiteRow } from '../store/site-repository.js';
import type { AuditLog } from './audit-log.js';
import { auditedSite, registryAction } from './audited-views.js';
import type { ChangeHook, RegistryChange } from './change-hook.js';

export interface RegistryAuditOptions {
  store: StorePort;
  audit: AuditLog;
  /** The embedder's hook (createCollector's onChange), after the audit entry. */
  onChange: ChangeHook | undefined;
  log: Logger;
  clock: () => number;
}

/**
 * Records a registry change made through the API: an audit entry, then the
 * embedder's hook. Neither may fail the request that made the change: it is
 * committed already, so a failure here is logged.
 */
export function createRegistryAudit(options: RegistryAuditOptions): (change: RegistryChange) => Promise<void> {
  const { store, audit, onChange, log, clock } = options;

  /** Terms dated in the future (allocation, hard cap, tariff from a later time) belong in the audit entry too: the row shows today's. */
  async function withScheduled(site: ReturnType<typeof auditedSite>, siteId: number) {
    const now = clock();
    const scheduled = (await store.sites.terms(siteId)).filter((t) => t.effectiveFrom > now).map(({ changedAt: _c, ...t }) => t);
    return scheduled.length ? { ...site, scheduledTerms: scheduled } : site;
  }

  return async function recordChange(change: RegistryChange): Promise<void> {
    try {
      await audit.record(change.actor ?? { kind: 'system', name: change.by }, registryAction(change), {
        site: change.entity === 'site' ? change.id : null, target: change.id,
        before: change.before && (change.entity === 'site' ? auditedSite(change.before as unknown as SiteRow) : change.before),
        after: change.after && (change.entity === 'site' ? await withScheduled(auditedSite(change.after as unknown as SiteRow), (change.after as unknown as SiteRow).id) : change.after),
      });
    } catch (err) {
      log.error({ err, entity: change.entity, id: change.id }, 'audit entry could not be written');
    }
    try {
      onChange?.(change);
    } catch (err) {
      log.warn({ err, entity: change.entity, id: change.id }, 'change hook failed');
    }
  };
}
