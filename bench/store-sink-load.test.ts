import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLE_WIDTH } from '../server/store/telemetry-writer.js';
import { createLoadGenerator, type AgentRef } from './store-sink-load.js';

const agents: AgentRef[] = Array.from({ length: 70 }, (_, i) => ({ site: `s${i}`, siteId: 100 + i, agentId: 1000 + i }));

test('store-sink load: the reference mix, 1 detail message in 7 spread over each round, a sample per message, seqs in order per agent, the highest acked', () => {
  const load = createLoadGenerator(agents, 100, 1_000_000);
  const first = load.firstRound();
  assert.deepEqual(first.flatMap((b) => b.rows.map((r) => r.agentId)), agents.map((a) => a.agentId), 'the first round: one message per agent');
  assert.ok(first.every((b) => b.rows.every((r) => r.detailBody !== null && (JSON.parse(r.detailBody) as { miners: unknown[] }).miners.length === 100)));

  // 7 rounds of 70 agents in batches of 35: every round has 10 detail messages, every agent 1 in 7.
  const detailPerAgent = new Map<number, number>();
  const lastSeq = new Map<number, number>(agents.map((a) => [a.agentId, 1]));
  for (let b = 0; b < 14; b++) {
    const { batch, detailMessages, minerRows } = load.next(35);
    assert.equal(detailMessages, 5, `batch ${b}: half a round, 5 of its 35 messages carry detail`);
    assert.equal(minerRows, 500);
    for (const r of batch.rows) {
      assert.equal(r.samples.length, SAMPLE_WIDTH, 'one sample per message');
      assert.equal(r.seq, lastSeq.get(r.agentId)! + 1, 'seqs follow on from the first round, one by one');
      lastSeq.set(r.agentId, r.seq);
      if (r.detailTs !== null) detailPerAgent.set(r.agentId, (detailPerAgent.get(r.agentId) ?? 0) + 1);
    }
    const acked = new Map<number, number>();
    for (let i = 0; i < batch.acks.length; i += 3) acked.set(batch.acks[i]!, batch.acks[i + 2]!);
    assert.deepEqual([...acked].sort((x, y) => x[0] - y[0]), [...new Set(batch.rows.map((r) => r.agentId))].sort((x, y) => x - y).map((id) => [id, lastSeq.get(id)]));
  }
  assert.deepEqual(new Set(detailPerAgent.values()), new Set([1]), 'over 7 rounds each agent sent its detail once');
  assert.equal(detailPerAgent.size, agents.length);
});
