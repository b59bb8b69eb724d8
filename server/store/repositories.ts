import type { Db } from './database.js';
import { createAgentRepository } from './agent-repository.js';
import { createCompanyRepository } from './company-repository.js';
import { createEventRepository } from './event-repository.js';
import { createRollupRepository } from './rollup-repository.js';
import { createSiteRepository, type SiteDefaults } from './site-repository.js';
import { createTelemetryRepository } from './telemetry-repository.js';
import { createViolationRepository } from './violation-repository.js';

export function createRepositories(db: Db, siteDefaults?: SiteDefaults) {
  return {
    sites: createSiteRepository(db, siteDefaults),
    agents: createAgentRepository(db),
    telemetry: createTelemetryRepository(db),
    rollups: createRollupRepository(db),
    events: createEventRepository(db),
    violations: createViolationRepository(db),
    companies: createCompanyRepository(db),
    /** Runs fn in one transaction (no await inside): many small writes become one commit. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}
export type Repositories = ReturnType<typeof createRepositories>;
