import { createPgCollectorRepositories } from '../postgres/pg-collector-repositories.js';
import { createPgRepositories } from '../postgres/pg-repositories.js';
import type { StorePort } from '../store-port.js';
import type { ContractContext } from './store-harness.js';

/**
 * Until server/store/postgres/pg-repositories.ts spreads createPgCollectorRepositories
 * in (done at merge), a PostgreSQL contract store gets those repositories here, on the
 * pool and inside its transactions. A SQLite context is returned as it is.
 */
export function withCollectorRepositories(ctx: ContractContext): ContractContext {
  const pg = ctx.postgres;
  if (!pg) return ctx;
  const repositoryContext = { siteDefaults: { greyTariffPerKwh: 0 }, partitions: pg.partitions };
  const store: StorePort = {
    ...pg,
    ...createPgCollectorRepositories(pg.sql),
    transaction: (fn) => pg.sql.begin((tx) => fn({ ...createPgRepositories(tx, repositoryContext), ...createPgCollectorRepositories(tx) })) as Promise<Awaited<ReturnType<typeof fn>>>,
  };
  return { ...ctx, store };
}
