import type { SiteDefaults } from '../site-repository.js';
import type { StoreRepositories } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';
import type { PartitionManager } from './pg-partitions.js';
import { createPgAgentRepository } from './pg-agent-repository.js';
import { createPgCollectorRepositories } from './pg-collector-repositories.js';
import { createPgRollupRepository } from './pg-rollup-repository.js';
import { createPgSiteRepository } from './pg-site-repository.js';
import { createPgTelemetryRepository } from './pg-telemetry-repository.js';

/** What the PostgreSQL repositories share beyond the connection. */
export interface PgRepositoryContext {
  siteDefaults: SiteDefaults;
  partitions: PartitionManager;
}

/** The repositories over a pool, or over one transaction's connection (StorePort.transaction). */
export function createPgRepositories(sql: PgQueryable, ctx: PgRepositoryContext): StoreRepositories {
  return {
    sites: createPgSiteRepository(sql, ctx.siteDefaults),
    agents: createPgAgentRepository(sql),
    telemetry: createPgTelemetryRepository(sql),
    rollups: createPgRollupRepository(sql, ctx.partitions),
    ...createPgCollectorRepositories(sql),
  };
}
