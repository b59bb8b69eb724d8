import { AppError } from '../../../shared/errors.js';
import type { SiteDefaults } from '../site-repository.js';
import type { StoreRepositories } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';
import type { PartitionManager } from './pg-partitions.js';
import { createPgAgentRepository } from './pg-agent-repository.js';
import { createPgRollupRepository } from './pg-rollup-repository.js';
import { createPgSiteRepository } from './pg-site-repository.js';
import { createPgTelemetryRepository } from './pg-telemetry-repository.js';

/** What the PostgreSQL repositories share beyond the connection. */
export interface PgRepositoryContext {
  siteDefaults: SiteDefaults;
  partitions: PartitionManager;
}

/**
 * A repository not yet written for PostgreSQL: every method rejects with an error
 * that names it, so a store wired to PostgreSQL early fails clearly, never silently.
 */
function notYetOnPostgres<R>(name: string): R {
  return new Proxy({}, {
    // Not a thenable (awaiting the repository itself must not call a "then" method).
    get: (_target, method) => typeof method === 'symbol' || method === 'then' ? undefined
      : () => Promise.reject(new AppError('UNSUPPORTED', `${name}.${method} is not implemented on the PostgreSQL store yet`)),
  }) as R;
}

/** The repositories over a pool, or over one transaction's connection (StorePort.transaction). */
export function createPgRepositories(sql: PgQueryable, ctx: PgRepositoryContext): StoreRepositories {
  return {
    sites: createPgSiteRepository(sql, ctx.siteDefaults),
    agents: createPgAgentRepository(sql),
    telemetry: createPgTelemetryRepository(sql),
    rollups: createPgRollupRepository(sql, ctx.partitions),
    events: notYetOnPostgres('events'),
    violations: notYetOnPostgres('violations'),
    openadr: notYetOnPostgres('openadr'),
    companies: notYetOnPostgres('companies'),
    users: notYetOnPostgres('users'),
    audit: notYetOnPostgres('audit'),
    webhooks: notYetOnPostgres('webhooks'),
  };
}
