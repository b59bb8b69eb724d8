import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../shared/log/logger.js';
import { signalAndWait } from '../../test/helpers/child-exit.js';
import { withProxyInFront } from '../../test/helpers/tcp-proxy.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { ClusterConfigSchema, DEFAULT_CLUSTER_CONFIG, type ClusterConfig } from './cluster-config.js';
import { LEADER_LEASE_DDL } from './leader-lease-ddl.js';
import type { LeaderElection } from './leader-lease.js';
import { createPostgresLeaderElection } from './postgres-leader-lease.js';
import { recordElection } from './testing/election-recorder.js';
import { spawnLeaseHolder } from './testing/lease-holder-process.js';
import { openTestDatabase } from './testing/pg-test-database.js';
import { runWhileLeader } from './while-leader.js';

const pg = await openTestDatabase('leader_election', LEADER_LEASE_DDL);
after(() => pg.drop());
const log = createSilentLogger();

/** Short lease for the tests that do not measure the default takeover time. */
const fast = (name: string): ClusterConfig => ClusterConfigSchema.parse({ name, leaseTtlS: 2, renewS: 0.5 });

const running: LeaderElection[] = [];
after(() => Promise.all(running.map((e) => e.stop())));

function contender(url: string, holder: string, cluster: ClusterConfig): LeaderElection {
  const election = createPostgresLeaderElection({ url, holder, cluster, log });
  running.push(election);
  return election;
}

async function leaseRow(name: string): Promise<{ holder: string; epoch: number } | undefined> {
  const [row] = await pg.db().sql<{ holder: string; epoch: string }[]>`SELECT holder, epoch::text AS epoch FROM leader_lease WHERE name = ${name}`;
  return row && { holder: row.holder, epoch: Number(row.epoch) };
}

test('two contenders: exactly one leads, and the other stays a follower while the leader renews', { skip: pg.skip }, async () => {
  const { url } = pg.db();
  const cluster = fast('two-contenders');
  const a = contender(url, 'a', cluster);
  const b = contender(url, 'b', cluster);
  const records = [recordElection(a), recordElection(b)];
  await Promise.all([a.start(), b.start()]);

  const leaderIndex = await waitFor('one contender to gain leadership', () => {
    const index = records.findIndex((r) => r.gained.length > 0);
    return index >= 0 ? index + 1 : undefined;
  }) - 1;
  const leader = [a, b][leaderIndex]!;
  const follower = [a, b][1 - leaderIndex]!;
  const leaderRecord = records[leaderIndex]!;
  // Several renewals pass with the follower trying every interval too.
  await waitFor('the leader to renew five times', () => leaderRecord.renewed.length >= 5);

  assert.equal(leader.isLeader(), true);
  assert.equal(follower.isLeader(), false);
  assert.equal(follower.currentTerm(), undefined);
  assert.deepEqual(records[1 - leaderIndex], { gained: [], renewed: [], lost: [] }, 'the follower never led');
  assert.deepEqual(leaderRecord.lost, [], 'the leader never lost its term');
  assert.deepEqual(await leaseRow(cluster.name), { holder: leader.holder, epoch: leader.epoch() });
});

test('a leader that stops renewing (its process paused) is replaced within ttl + one renew interval, and on waking it has stepped down', { skip: pg.skip }, async () => {
  const { url } = pg.db();
  const cluster = fast('paused-leader');
  const paused = spawnLeaseHolder({ url, holder: 'paused', cluster });
  try {
    await waitFor('the child process to lead', () => paused.lines.some((l) => l.event === 'gained'));
    const follower = contender(url, 'follower', cluster);
    const record = recordElection(follower);
    await follower.start();
    assert.equal(follower.isLeader(), false);

    paused.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await waitFor('the follower to take over', () => record.gained.length > 0);
    const takeoverMs = record.gained[0]!.at - stoppedAt;
    // The lease was last renewed before the pause; on top of ttl + renew, allow the statements' own time on a busy machine.
    assert.ok(takeoverMs <= (cluster.leaseTtlS + cluster.renewS) * 1000 + 1000, `takeover took ${Math.round(takeoverMs)} ms`);
    const oldEpoch = paused.lines.find((l) => l.event === 'gained')!.epoch;
    assert.ok(record.gained[0]!.term.epoch > oldEpoch, 'the new term has a higher epoch');

    const seenBeforeWaking = paused.lines.length;
    paused.child.kill('SIGCONT');
    await waitFor('the woken process to report it lost leadership', () => paused.lines.slice(seenBeforeWaking).find((l) => l.event === 'lost'));
    const afterWaking = paused.lines.slice(seenBeforeWaking);
    assert.equal(afterWaking[0]!.event, 'lost', `the woken process did not renew or act first: ${JSON.stringify(afterWaking)}`);
    assert.equal(follower.isLeader(), true, 'the new leader keeps its term');
    assert.deepEqual(await leaseRow(cluster.name), { holder: 'follower', epoch: follower.epoch() });
  } finally {
    paused.child.kill('SIGCONT');
    await signalAndWait(paused.child, 'SIGKILL');
  }
});

test('a leader process killed with SIGKILL is replaced within 15 s with the default settings', { skip: pg.skip, timeout: 40_000 }, async () => {
  const { url } = pg.db();
  const cluster = { ...DEFAULT_CLUSTER_CONFIG, name: 'killed-leader' };
  const killed = spawnLeaseHolder({ url, holder: 'killed', cluster });
  try {
    await waitFor('the child process to lead', () => killed.lines.some((l) => l.event === 'gained'));
    const follower = contender(url, 'survivor', cluster);
    const record = recordElection(follower);
    await follower.start();
    assert.equal(follower.isLeader(), false);

    const killedAt = performance.now();
    await signalAndWait(killed.child, 'SIGKILL');
    await waitFor('the survivor to take over', () => record.gained.length > 0, { timeoutMs: 20_000, intervalMs: 20 });
    const takeoverMs = record.gained[0]!.at - killedAt;
    process.stdout.write(`takeover after SIGKILL with ttl ${cluster.leaseTtlS} s, renew ${cluster.renewS} s: ${Math.round(takeoverMs)} ms\n`);
    assert.ok(takeoverMs <= 15_000, `takeover took ${Math.round(takeoverMs)} ms, over the 15 s target`);
    assert.ok(record.gained[0]!.term.epoch > killed.lines.find((l) => l.event === 'gained')!.epoch);
  } finally {
    await signalAndWait(killed.child, 'SIGKILL');
  }
});

test('epochs strictly increase with every new term, also when a holder comes back', { skip: pg.skip }, async () => {
  const { url } = pg.db();
  const cluster = fast('epochs');
  const a = contender(url, 'a', cluster);
  const b = contender(url, 'b', cluster);
  const recordA = recordElection(a);
  const recordB = recordElection(b);
  const epochs: number[] = [];

  await a.start();
  await waitFor('a to lead', () => a.isLeader());
  await b.start();
  for (const [from, to, toRecord] of [[a, b, recordB], [b, a, recordA], [a, b, recordB]] as const) {
    const terms = toRecord.gained.length;
    epochs.push(from.epoch()!);
    await from.stop(); // releases the lease: the other takes over at its next try
    await waitFor('the other contender to take over', () => toRecord.gained.length > terms);
    await from.start(); // competes again, as a follower now
    assert.equal(to.isLeader(), true);
  }
  epochs.push(b.epoch()!);
  for (let i = 1; i < epochs.length; i++) assert.ok(epochs[i]! > epochs[i - 1]!, `epochs ${epochs.join(', ')} increase`);
  assert.equal(new Set(epochs).size, epochs.length);
});

test('a network-partitioned leader steps down before the new leader can be elected', { skip: pg.skip }, async () => {
  const db = pg.db();
  await withProxyInFront(db.url, 5432, async (proxy, behindProxy) => {
    const cluster = fast('partition');
    const cutOff = contender(behindProxy, 'cut-off', cluster);
    const cutOffRecord = recordElection(cutOff);
    // The leader's job (reconciling events, publishing controls) must be told to stop before anyone else leads.
    let jobAbortedAt: number | undefined;
    runWhileLeader(cutOff, (_term, signal) => signal.addEventListener('abort', () => (jobAbortedAt = performance.now())), log);
    await cutOff.start();
    await waitFor('the soon cut-off contender to lead', () => cutOff.isLeader());
    const other = contender(db.url, 'other', cluster);
    const otherRecord = recordElection(other);
    await other.start();

    // The partition: no new connection gets through, and the database ends the one it had.
    proxy.cut();
    await db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hashwatt-lease cut-off'`;

    await waitFor('the other contender to lead', () => otherRecord.gained.length > 0);
    const stepDown = cutOffRecord.lost[0];
    assert.ok(stepDown, 'the cut-off leader stepped down');
    assert.equal(stepDown.reason, 'renew-deadline');
    assert.ok(stepDown.at < otherRecord.gained[0]!.at, `stepped down ${Math.round(otherRecord.gained[0]!.at - stepDown.at)} ms before the takeover`);
    assert.equal(cutOff.isLeader(), false);
    assert.ok(jobAbortedAt !== undefined && jobAbortedAt < otherRecord.gained[0]!.at, "the cut-off leader's job was aborted before the takeover");
    assert.ok(otherRecord.gained[0]!.term.epoch > stepDown.term.epoch);
  });
});
