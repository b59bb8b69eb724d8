import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../shared/log/logger.js';
import { openDatabase } from '../server/store/database.js';
import { openStoreReader } from '../server/testing/test-store.js';
import { allAcked, checkStored, storedOnce, sumCounter } from './ingest-bench-checks.js';

test('ingest bench: a counter is summed over its label sets, other metrics with the same prefix are not', () => {
  const text = [
    '# HELP hashwatt_ingest_messages_total MQTT messages accepted',
    'hashwatt_ingest_messages_total{kind="telemetry"} 1200',
    'hashwatt_ingest_messages_total{kind="birth"} 3',
    'hashwatt_ingest_messages_total_extra 99',
    'hashwatt_ingest_batch_commit_seconds_sum 1.5',
  ].join('\n');
  assert.equal(sumCounter(text, 'hashwatt_ingest_messages_total'), 1203);
  assert.equal(sumCounter(text, 'hashwatt_ingest_batch_commit_seconds_sum'), 1.5);
  assert.equal(sumCounter(text, 'hashwatt_absent_total'), 0);
});

test('ingest bench: the stored-once check finds a lost message as a hole in an agent\'s seqs, and a missing ack', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-ingest-check-'));
  const db = openDatabase(dir, createLogger({ level: 'error' }));
  try {
    const log = db.prepare('INSERT INTO telemetry_log (agent_id, session, seq, received_at) VALUES (?, ?, ?, 0)');
    const sample = db.prepare('INSERT INTO samples (site_id, ts, agent_id, miner_kw, hashing, idle, sleeping, offline, error, total, hashrate_ths) VALUES (?, ?, ?, 1, 0, 0, 0, 0, 0, 0, 0)');
    // Agent 1 sent seqs 1..3, agent 2 seqs 1..3 of which seq 2 never reached the store.
    for (const [agent, seq] of [[1, 1], [1, 2], [1, 3], [2, 1], [2, 3]] as const) {
      log.run(agent, 1, seq);
      sample.run(agent, seq, agent);
    }
    log.run(1, 2, 7); // another session (the saturation phase) is not counted
    const reader = openStoreReader({ kind: 'sqlite' }, dir);
    const input = { session: 1, published: 6, acked: 5, publishedMinerRows: 0, minerRows: 0, duplicatesIgnored: 0 };
    const check = await checkStored(reader, input);
    await reader.close();
    assert.equal(check.logged, 5);
    assert.equal(check.agentsWithHoles, 1);
    assert.equal(check.samples, 5);
    assert.equal(storedOnce(check), false);
    assert.equal(allAcked(check), false);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});
