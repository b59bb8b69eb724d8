import { createSilentLogger } from '../../../shared/log/logger.js';
import { createAlertRepository } from '../../alerts/alert-repository.js';
import { batch, detailRow, miner, sample, samplesRow, withSink } from '../contract/telemetry-rows.js';
import { closeDatabase, openDatabase } from '../database.js';
import { createRepositories } from '../repositories.js';
import { createSqliteStore } from '../sqlite-store.js';

export const DAY = 86_400_000;

/** What the fixture wrote, for the test to look for after the migration. */
export interface SqliteFixture {
  /** The first sample's time: two days before now, so the samples span three day partitions. */
  t0: number;
  eventId: string;
  /** The highest control revision handed out. */
  lastRevision: number;
}

/**
 * A collector database with rows in every table, written through the
 * collector's own repositories and its telemetry writer thread (the path
 * ingest takes), as a collector that ran a while would have it.
 */
export async function writeSqliteFixture(dataDir: string): Promise<SqliteFixture> {
  const db = openDatabase(dataDir, createSilentLogger());
  const repos = createRepositories(db);
  const t0 = Math.floor((Date.now() - 2 * DAY) / 60_000) * 60_000;
  const site = (name: string, allocationKw: number) => repos.sites.upsert({ id: name, name: `Farm ${name}`, region: 'north', company: 'acme', registered: true, allocationKw, hardCapKw: allocationKw * 1.2, tariffPerKwh: 0.05, tier: 2, autoEnforce: true }, t0).row;
  const alpha = site('alpha', 1000);
  const beta = site('beta', 500);
  repos.sites.upsert({ id: 'alpha', name: 'Farm alpha', region: 'north', company: 'acme', registered: true, allocationKw: 1200, hardCapKw: 1400, tariffPerKwh: 0.06, tier: 2, autoEnforce: true }, t0 + DAY, t0 + DAY);
  repos.sites.createUnknown('grey', t0);
  const a1 = repos.agents.ensure(alpha.id, 'gw-1');
  const b1 = repos.agents.ensure(beta.id, 'gw-1');
  repos.agents.setState(a1, true, 7, t0, t0);
  repos.agents.setBirth(a1, { model: 'agent', version: '1.0' }, 7, t0);

  const store = createSqliteStore(db);
  await withSink(store, async (sink) => {
    const samplesA = [0, 1, 2].map((d) => sample(t0 + d * DAY, { minerKw: 900 + d, meterKw: 950 + d, meterKwh: 10_000 + d, revision: 3 }));
    await sink.write(batch(t0 + 2 * DAY, [
      samplesRow({ siteId: alpha.id, agentId: a1, session: 7, seq: 1 }, samplesA),
      samplesRow({ siteId: beta.id, agentId: b1, session: 1, seq: 1 }, [sample(t0, { minerKw: 400 })], true),
      detailRow({ siteId: alpha.id, agentId: a1, session: 7, seq: 2 }, t0 + 2 * DAY, [miner('m-1', 29.5), miner('m-2', null, { state: 'sleeping', w: 12, ths: 0, asleepByAgent: true })]),
    ], { acks: [a1, 7, 2, b1, 1, 1], gaps: [b1, 1, 5, 9] }));
  });
  await repos.rollups.refresh([0, 1, 2].map((d) => ({ siteId: alpha.id, bucket: t0 + d * DAY })));

  const eventId = 'ev-migrate-1';
  repos.events.insertEvent({ id: eventId, kind: 'reduce_by_kw', value: 300, scope: { sites: ['alpha', 'beta'] }, startTs: t0, endTs: t0 + DAY, priority: 'high', level: 'sleep', reason: 'grid stress', status: 'active', requestedKw: 300, createdBy: 'operator', createdAt: t0, endedAt: null },
    [{ siteId: alpha.id, mode: 'max_kw', value: 700, targetKw: 700, baselineKw: 900, shedKw: 200 }, { siteId: beta.id, mode: 'max_kw', value: 300, targetKw: 300, baselineKw: 400, shedKw: 100 }], t0);
  const first = repos.events.reserveRevisions(41);
  const lastRevision = first + 40;
  repos.events.updateTarget(eventId, alpha.id, { state: 'holding', revision: lastRevision, achievedKw: 690 }, t0 + 60_000);
  repos.events.saveControl(alpha.id, lastRevision, { v: 1, revision: lastRevision, limitKw: 700 });
  repos.events.markPublished(alpha.id, lastRevision, t0 + 1000);
  repos.events.insertReport({ siteId: alpha.id, agentId: a1, revision: lastRevision, status: 'holding', reason: null, detail: null, achievedKw: 690, targetKw: 700, ts: t0 + 5000, session: 7, seq: 3 }, t0 + 5000);
  const violation = repos.violations.open({ siteId: beta.id, openedAt: t0, allocationKw: 500, thresholdKw: 525, peakKw: 610, energyOverKwh: 3.5 });
  repos.violations.setEnforced(violation, lastRevision);
  repos.companies.upsert({ id: 'acme', name: 'Acme Mining', allocationKw: 1500, hardCapKw: 1800, autoLimit: true }, t0);
  repos.companies.openViolation({ company: 'acme', openedAt: t0, capKw: 1800, peakKw: 1900, sites: ['alpha', 'beta'] });
  createAlertRepository(db).open({ kind: 'agent_offline', siteId: beta.id, agentId: b1, openedAt: t0, details: { lastSeen: t0 } });
  const chief = repos.users.create({ username: 'chief', role: 'admin', passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' }, t0);
  repos.users.addToken(chief.id, 'ci', 'a'.repeat(64), t0);
  repos.users.addSession('b'.repeat(64), chief.id, t0, t0 + DAY, '10.0.0.9');
  repos.audit.append({ ts: t0, actorKind: 'user', actor: 'chief', ip: '10.0.0.9', action: 'event.create', site: null, target: eventId, before: null, after: { kind: 'reduce_by_kw' } });
  repos.audit.append({ ts: t0 + 1, actorKind: 'cli', actor: 'root', ip: null, action: 'user.create', site: null, target: 'chief', before: null, after: { role: 'admin' } });
  repos.webhooks.enqueue(['ops-hook'], 'alert.opened', '{"kind":"agent_offline"}', t0);
  repos.openadr.insertLink({ vtnEventId: 'vtn-1', intervalId: 0, eventId, programId: 'prog-1', modification: '2026-12-01T00:00:00Z', startTs: t0, endTs: t0 + DAY, resource: 'alpha', reportTypes: ['USAGE'], aggregate: true });
  repos.openadr.insertLink({ vtnEventId: 'vtn-1', intervalId: 1, eventId: 'ev-migrate-later', programId: 'prog-1', modification: '2026-12-01T00:00:00Z', startTs: t0 + DAY, endTs: t0 + 2 * DAY, resource: 'alpha', reportTypes: ['USAGE'], aggregate: false });
  repos.openadr.markCurtailed(eventId);
  repos.openadr.enqueueReport(eventId, 'vtn-1', 0, { reportName: 'r1' }, t0);
  await store.close().catch(() => undefined);
  if (db.open) closeDatabase(db);
  return { t0, eventId, lastRevision };
}
