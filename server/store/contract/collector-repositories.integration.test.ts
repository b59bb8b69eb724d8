// The contract cases of the collector's repositories (events and controls, compliance,
// OpenADR, accounts, audit, webhook queue, alerts), each run on SQLite and on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../shared/log/logger.js';
import { createAlertRepository } from '../alert-repository.js';
import { openDatabase } from '../database.js';
import { createPgAlertRepository } from '../postgres/pg-alert-repository.js';
import { createSqliteStore } from '../sqlite-store.js';
import type { AsyncOf, StoreKind } from '../store-port.js';
import { accountCases } from './account-cases.js';
import { alertCases, type AlertCase } from './alert-cases.js';
import { complianceCases } from './compliance-cases.js';
import { eventCases } from './event-cases.js';
import { openAdrCases } from './openadr-cases.js';
import { postgresSkipReason } from './pg-test-database.js';
import { BACKENDS, runStoreContract, withFreshStore } from './store-harness.js';
import { webhookQueueCases } from './webhook-queue-cases.js';
import { withCollectorRepositories } from './with-collector-repositories.js';

await runStoreContract([...eventCases, ...complianceCases, ...openAdrCases, ...accountCases, ...webhookQueueCases].map((c) => ({ ...c, run: (ctx) => c.run(withCollectorRepositories(ctx)) })));

// Alerts are not in the store port yet, so their cases take the repository beside a fresh store.
const pgSkip = await postgresSkipReason().catch((err: Error) => err);
const log = createLogger({ level: 'silent' });

async function withAlertStore(kind: StoreKind, fn: AlertCase['run']): Promise<void> {
  if (kind === 'postgres') return withFreshStore('postgres', (ctx) => fn({ store: ctx.store, alerts: createPgAlertRepository(ctx.postgres!.sql) }));
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-alerts-'));
  const db = openDatabase(dir, log);
  const store = createSqliteStore(db);
  try {
    const repo = createAlertRepository(db);
    const alerts = Object.fromEntries(Object.entries(repo).map(([name, method]) => [name, async (...args: unknown[]) => (method as (...a: unknown[]) => unknown)(...args)]));
    await fn({ store, alerts: alerts as AsyncOf<typeof repo> });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of BACKENDS) {
  for (const c of alertCases) {
    const skip = kind === 'postgres' && typeof pgSkip === 'string' ? pgSkip : undefined;
    test(`${c.name} [${kind}]`, skip ? { skip } : {}, async () => {
      if (kind === 'postgres' && pgSkip instanceof Error) assert.fail(pgSkip.message);
      await withAlertStore(kind, c.run);
    });
  }
}
