import type { Db } from './database.js';
import { createAgentRepository } from './agent-repository.js';
import { createAlertRepository } from './alert-repository.js';
import { createCompanyRepository } from './company-repository.js';
import { createAuditRepository } from './audit-repository.js';
import { createEventRepository } from './event-repository.js';
import { createOpenAdrRepository } from './openadr-repository.js';
import { createRollupRepository } from './rollup-repository.js';
import { createSiteRepository, type SiteDefaults } from './site-repository.js';
import { createTelemetryRepository } from './telemetry-repository.js';
import { createUserRepository } from './user-repository.js';
import { createViolationRepository } from './violation-repository.js';
import { createWebhookQueueRepository } from './webhook-queue-repository.js';

export function createRepositories(db: Db, siteDefaults?: SiteDefaults) {
  return {
    sites: createSiteRepository(db, siteDefaults),
    agents: createAgentRepository(db),
    telemetry: createTelemetryRepository(db),
    rollups: createRollupRepository(db),
    events: createEventRepository(db),
    violations: createViolationRepository(db),
    openadr: createOpenAdrRepository(db),
    companies: createCompanyRepository(db),
    users: createUserRepository(db),
    audit: createAuditRepository(db),
    webhooks: createWebhookQueueRepository(db),
    alerts: createAlertRepository(db),
    /** Runs fn in one transaction (no await inside): many small writes become one commit. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}
export type Repositories = ReturnType<typeof createRepositories>;
