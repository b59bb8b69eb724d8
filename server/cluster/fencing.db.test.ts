import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../shared/log/logger.js';
import { withProxyInFront } from '../../test/helpers/tcp-proxy.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { ClusterConfigSchema } from './cluster-config.js';
import { reserveControlRevisions } from './control-revision.js';
import { assertStillLeader, FencedOutError } from './fencing.js';
import { LEADER_LEASE_DDL } from './leader-lease-ddl.js';
import type { LeaderElection, LeaderTerm } from './leader-lease.js';
import { createPostgresLeaderElection } from './postgres-leader-lease.js';
import { recordElection } from './testing/election-recorder.js';
import { openTestDatabase } from './testing/pg-test-database.js';

const pg = await openTestDatabase('fencing', LEADER_LEASE_DDL);
after(() => pg.drop());
const log = createSilentLogger();
const running: LeaderElection[] = [];
after(() => Promise.all(running.map((e) => e.stop())));

async function counter(): Promise<{ last: number; epoch: number } | undefined> {
  const [row] = await pg.db().sql<{ last: string; epoch: string }[]>`SELECT last_revision::text AS last, epoch::text AS epoch FROM control_revision`;
  return row && { last: Number(row.last), epoch: Number(row.epoch) };
}

/** Reserves through the caller's transaction, as the events repository will. */
function reserve(term: LeaderTerm, count: number): Promise<number> {
  return pg.db().sql.begin((tx) => reserveControlRevisions(tx, term, count));
}

test('the leader reserves consecutive revisions; once deposed by a partition, its fenced writes are refused and reserve nothing', { skip: pg.skip }, async () => {
  const db = pg.db();
  await withProxyInFront(db.url, 5432, async (proxy, behindProxy) => {
    const cluster = ClusterConfigSchema.parse({ name: 'fenced', leaseTtlS: 2, renewS: 0.5 });
    const first = createPostgresLeaderElection({ url: behindProxy, holder: 'first', cluster, log });
    running.push(first);
    await first.start();
    const staleTerm = await waitFor('the first contender to lead', () => first.currentTerm());
    assert.equal(await reserve(staleTerm, 3), 1);
    assert.equal(await reserve(staleTerm, 1), 4);

    const second = createPostgresLeaderElection({ url: db.url, holder: 'second', cluster, log });
    running.push(second);
    const secondRecord = recordElection(second);
    await second.start();
    // Only the lease connection is cut off; the store's pool (here the direct connection) still reaches the database.
    proxy.cut();
    await db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hashwatt-lease first'`;
    const newTerm = await waitFor('the second contender to take over', () => secondRecord.gained[0]?.term);
    assert.ok(newTerm.epoch > staleTerm.epoch);

    await assert.rejects(reserve(staleTerm, 1), (err: unknown) => {
      assert.ok(err instanceof FencedOutError, `expected FencedOutError, got ${String(err)}`);
      assert.equal(err.code, 'CONFLICT');
      assert.match(err.message, new RegExp(`held by second at epoch ${newTerm.epoch}`));
      return true;
    });
    assert.deepEqual(await counter(), { last: 4, epoch: staleTerm.epoch }, 'the refused reservation changed nothing');
    assert.equal(await reserve(newTerm, 2), 5, 'the new leader continues after the last revision, none reused');
    await assert.rejects(reserve(staleTerm, 1), FencedOutError);
    assert.deepEqual(await counter(), { last: 6, epoch: newTerm.epoch });
  });
});

test('a fenced transaction holds off a takeover until it commits, so its writes land before the next term begins', { skip: pg.skip }, async () => {
  const db = pg.db();
  const cluster = ClusterConfigSchema.parse({ name: 'held', leaseTtlS: 2, renewS: 0.5 });
  const leader = createPostgresLeaderElection({ url: db.url, holder: 'leader', cluster, log });
  running.push(leader);
  const leaderRecord = recordElection(leader);
  await leader.start();
  const term = await waitFor('the leader to lead', () => leader.currentTerm());
  const challenger = createPostgresLeaderElection({ url: db.url, holder: 'challenger', cluster, log });
  running.push(challenger);
  const challengerRecord = recordElection(challenger);
  await challenger.start();

  let commit!: () => void;
  const gate = new Promise<void>((resolve) => (commit = resolve));
  let fencedCheckPassed = false;
  const fenced = db.sql.begin(async (tx) => {
    await assertStillLeader(tx, term);
    fencedCheckPassed = true;
    await tx`UPDATE control_revision SET last_revision = 1000, epoch = ${term.epoch}`;
    await gate;
  });
  await waitFor('the fenced check to pass', () => fencedCheckPassed);

  // The leader's renewals wait on the row lock, so it steps down on its deadline; the lease then expires.
  await waitFor('the blocked leader to step down', () => leaderRecord.lost[0]?.reason === 'renew-deadline');
  await waitFor('the lease to expire by the database clock', async () => {
    const [row] = await db.sql<{ expired: boolean }[]>`SELECT expires_at <= clock_timestamp() AS expired FROM leader_lease WHERE name = ${term.name}`;
    return row?.expired;
  });
  await waitFor('the challenger to be waiting on the lease row lock', async () => {
    const rows = await db.sql`SELECT 1 FROM pg_stat_activity WHERE application_name = 'hashwatt-lease challenger' AND wait_event_type = 'Lock'`;
    return rows.length > 0;
  });
  assert.deepEqual(challengerRecord.gained, [], 'no takeover while the fenced transaction is open');

  commit();
  await fenced;
  // Either may win the next term: the old leader competes again as a follower.
  const next = await waitFor('a new term after the commit', () => challengerRecord.gained[0]?.term ?? leaderRecord.gained[1]?.term);
  assert.ok(next.epoch > term.epoch);
  assert.deepEqual(await counter(), { last: 1000, epoch: term.epoch }, "the old term's write landed, before the new term");
  assert.equal(await reserve(next, 1), 1001);
});
