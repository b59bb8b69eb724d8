import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAgentDb } from './agent-db.js';
import { createOutboxRepository } from './outbox-repository.js';
import { createMetaRepository } from './meta-repository.js';

function withDb(fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-outbox-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('session counter grows per start and survives reopening', () =>
  withDb((dir) => {
    const db = openAgentDb(dir);
    assert.equal(createMetaRepository(db).nextSession(), 1);
    db.close();
    const again = openAgentDb(dir);
    assert.equal(createMetaRepository(again).nextSession(), 2);
    again.close();
  }));

test('acks delete only sent rows of that session up to seq; due rows come oldest first', () =>
  withDb((dir) => {
    const db = openAgentDb(dir);
    const repo = createOutboxRepository(db);
    const limits = { maxRows: 100, maxBytes: 1 << 20 };
    for (const [session, seq] of [[1, 1], [1, 2], [2, 1], [2, 2], [2, 3]] as const) repo.add({ session, seq, kind: 'sample', payload: `{"s":${seq}}`, createdAt: 0 }, limits);
    assert.deepEqual(repo.due(0, 10).map((r) => `${r.session}:${r.seq}`), ['1:1', '1:2', '2:1', '2:2', '2:3']);
    for (const r of repo.due(0, 10)) if (!(r.session === 2 && r.seq === 2)) repo.markSent(r.session, r.seq, 100);
    assert.equal(repo.ack(2, 3), 2, 'seq 2 of session 2 was never sent, so the ack cannot cover it');
    assert.equal(repo.ack(1, 5), 2, 'an ack for an older session clears its backlog');
    assert.deepEqual(repo.due(50, 10).map((r) => `${r.session}:${r.seq}`), ['2:2']);
    assert.deepEqual(repo.due(150, 10).map((r) => `${r.session}:${r.seq}`), ['2:2'], 'sent rows come back once the ack timeout passes');
    db.close();
  }));

test('when full, per-miner detail goes before site samples, then the oldest', () =>
  withDb((dir) => {
    const db = openAgentDb(dir);
    const repo = createOutboxRepository(db);
    const limits = { maxRows: 4, maxBytes: 1 << 20 };
    repo.add({ session: 1, seq: 1, kind: 'sample', payload: '{}', createdAt: 0 }, limits);
    repo.add({ session: 1, seq: 2, kind: 'detail', payload: '{}', createdAt: 0 }, limits);
    repo.add({ session: 1, seq: 3, kind: 'sample', payload: '{}', createdAt: 0 }, limits);
    repo.add({ session: 1, seq: 4, kind: 'detail', payload: '{}', createdAt: 0 }, limits);
    assert.deepEqual(repo.add({ session: 1, seq: 5, kind: 'sample', payload: '{}', createdAt: 0 }, limits), { detail: 1, sample: 0, report: 0 });
    assert.deepEqual(repo.add({ session: 1, seq: 6, kind: 'sample', payload: '{}', createdAt: 0 }, limits), { detail: 1, sample: 0, report: 0 });
    assert.deepEqual(repo.add({ session: 1, seq: 7, kind: 'sample', payload: '{}', createdAt: 0 }, limits), { detail: 0, sample: 1, report: 0 });
    assert.deepEqual(repo.due(0, 10).map((r) => r.seq), [3, 5, 6, 7]);
    const bytes = createOutboxRepository(db).add({ session: 1, seq: 8, kind: 'sample', payload: 'x'.repeat(100), createdAt: 0 }, { maxRows: 100, maxBytes: 104 });
    assert.equal(bytes.sample, 2, 'the byte limit drops the oldest too, only as many as needed');
    db.close();
  }));
