import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterConfigSchema, DEFAULT_CLUSTER_CONFIG, stepDownAfterS } from './cluster-config.js';

test('cluster config defaults: a 10 s lease renewed every 3 s, stepping down 3 s before it could expire', () => {
  assert.deepEqual(DEFAULT_CLUSTER_CONFIG, { name: 'hashwatt', leaseTtlS: 10, renewS: 3 });
  assert.equal(stepDownAfterS(DEFAULT_CLUSTER_CONFIG), 7);
  // Worst-case takeover after a crash: the lease runs out, then a follower's next try.
  assert.ok(DEFAULT_CLUSTER_CONFIG.leaseTtlS + DEFAULT_CLUSTER_CONFIG.renewS <= 15);
});

test('a renew interval too long for its lease is refused with the field named', () => {
  const result = ClusterConfigSchema.safeParse({ leaseTtlS: 5, renewS: 2 });
  assert.equal(result.success, false);
  const issue = result.error!.issues[0]!;
  assert.deepEqual(issue.path, ['renewS']);
  assert.match(issue.message, /at most a third of cluster.leaseTtlS/);
});

test('non-positive or missing-number settings are refused', () => {
  assert.equal(ClusterConfigSchema.safeParse({ leaseTtlS: 0 }).success, false);
  assert.equal(ClusterConfigSchema.safeParse({ renewS: -1 }).success, false);
  assert.equal(ClusterConfigSchema.safeParse({ name: '' }).success, false);
});
