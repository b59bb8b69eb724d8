import { startIngestWriter } from '../ingest/ingest-writer.js';
import { closeDatabase, databaseSizeBytes, type Db } from './database.js';
import { createRepositories, type Repositories } from './repositories.js';
import type { SiteDefaults } from './site-repository.js';
import { createStoreGate } from './store-gate.js';
import type { AsyncOf, StorePort, StoreRepositories } from './store-port.js';
import { loggedSeqsAbove } from './telemetry-repository.js';

type Call = <T>(fn: () => T) => Promise<Awaited<T>>;
const direct: Call = async <T>(fn: () => T): Promise<Awaited<T>> => await fn();

/** The async face of one synchronous repository: each method runs through `call`, with the repository as `this`. */
function asyncRepository<R extends object>(repo: R, call: Call): AsyncOf<R> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repo)) {
    if (typeof member === 'function') out[name] = (...args: unknown[]) => call(() => (member as (...a: unknown[]) => unknown).apply(repo, args));
  }
  return out as AsyncOf<R>;
}

function asyncRepositories(db: Db, repos: Repositories, call: Call): StoreRepositories {
  return {
    sites: asyncRepository(repos.sites, call),
    agents: asyncRepository(repos.agents, call),
    telemetry: {
      ...asyncRepository(repos.telemetry, call),
      loggedSeqsAbove: (agentId, session, acked, limit) => call(() => loggedSeqsAbove(db, agentId, session, acked, limit)),
    },
    rollups: asyncRepository(repos.rollups, call),
    events: asyncRepository(repos.events, call),
    violations: asyncRepository(repos.violations, call),
    openadr: asyncRepository(repos.openadr, call),
    companies: asyncRepository(repos.companies, call),
    users: asyncRepository(repos.users, call),
    audit: asyncRepository(repos.audit, call),
    webhooks: asyncRepository(repos.webhooks, call),
    alerts: asyncRepository(repos.alerts, call),
  };
}

/**
 * The embedded store: the synchronous better-sqlite3 repositories behind the
 * async port, so SQLite keeps today's behaviour and speed (a call is one
 * statement on the connection, resolved on the next microtask). Telemetry is
 * written by the ingest writer thread on its own connection. `db` comes from
 * openDatabase (migrated); close() closes it.
 */
export function createSqliteStore(db: Db, options: { siteDefaults?: SiteDefaults; repos?: Repositories } = {}): StorePort {
  // The collector passes the repositories its not-yet-converted services share, so one set of prepared statements serves both.
  const repos = options.repos ?? createRepositories(db, options.siteDefaults);
  const gate = createStoreGate();
  const txRepos = asyncRepositories(db, repos, direct);
  return {
    kind: 'sqlite',
    ...asyncRepositories(db, repos, gate.call),
    transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T> {
      return gate.exclusive(async () => {
        // IMMEDIATE takes the write lock now: a transaction that reads then writes cannot
        // fail with SQLITE_BUSY halfway because the writer thread committed meanwhile.
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(txRepos);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
    },
    openTelemetrySink: () => startIngestWriter(db.name),
    sizeBytes: () => gate.call(() => databaseSizeBytes(db)),
    close: () => gate.call(() => closeDatabase(db)),
  };
}
