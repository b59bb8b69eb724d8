import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLogger } from '../../shared/log/logger.js';
import { DB_FILE, openDatabase, type Db } from './database.js';
import { createRepositories } from './repositories.js';
import { createTelemetryWriter, type TelemetryRow } from './telemetry-writer.js';

/**
 * What collectors of one share group learn from the store they share: the seqs
 * the others committed, and gaps recorded once. Two connections to one file
 * stand for two collectors (each has its own writer connection in production).
 */
const log = createLogger({ level: 'silent' });

function withDb(fn: (db: Db, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-progress-'));
  const db = openDatabase(dir, log);
  try {
    fn(db, join(dir, DB_FILE));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (siteId: number, agentId: number, seq: number): TelemetryRow =>
  ({ siteId, agentId, session: 1, seq, historical: false, samples: [], latest: -1, detailTs: null, detailPart: 0, detailBody: null });

test('progress reads, for several sessions in one query, the stored ack and the seqs committed above it', () => {
  withDb((db) => {
    const repos = createRepositories(db);
    const site = repos.sites.createUnknown('s1', 1).id;
    const a1 = repos.agents.ensure(site, 'a1');
    const a2 = repos.agents.ensure(site, 'a2');
    const writer = createTelemetryWriter(db);
    writer.write({ now: 1, rows: [1, 2, 4, 7].map((seq) => row(site, a1, seq)).concat([row(site, a2, 3)]), acks: [a1, 1, 2], gaps: [] });
    repos.events.insertReport({ siteId: site, agentId: a1, revision: 1, status: 'accepted', reason: null, detail: null, achievedKw: null, targetKw: null, ts: 1, session: 1, seq: 5 }, 1);

    const [first, second, unknown] = repos.telemetry.progress([
      { agentId: a1, session: 1, known: 0 },
      { agentId: a2, session: 1, known: 0 },
      { agentId: a1, session: 9, known: 3 },
    ]);
    assert.equal(first!.acked, 2, 'the ack another collector persisted');
    assert.deepEqual(first!.seqs.sort((x, y) => x - y), [4, 5, 7], 'telemetry and control report seqs above the stored ack');
    assert.deepEqual(second, { acked: 0, seqs: [3] });
    assert.deepEqual(unknown, { acked: 0, seqs: [] });
    assert.deepEqual(repos.telemetry.progress([{ agentId: a1, session: 1, known: 4 }])[0]!.seqs.sort((x, y) => x - y), [5, 7], 'only above what the asker knows');
  });
});

test('two collectors giving up the same gap record it once: the second sees the ack the first persisted with it', () => {
  withDb((db, path) => {
    const repos = createRepositories(db);
    const site = repos.sites.createUnknown('s1', 1).id;
    const agent = repos.agents.ensure(site, 'a1');
    const other = new Database(path);
    try {
      const first = createTelemetryWriter(db).write({ now: 10, rows: [], acks: [agent, 1, 9], gaps: [agent, 1, 2, 4] });
      const second = createTelemetryWriter(other).write({ now: 11, rows: [], acks: [agent, 1, 9], gaps: [agent, 1, 2, 4] });
      assert.deepEqual([...first.gapsRecorded, ...second.gapsRecorded], [1, 0]);
      assert.deepEqual(repos.telemetry.gaps().map((g) => [g.fromSeq, g.toSeq]), [[2, 4]]);
      // A later, different gap of the same session is still recorded.
      const later = createTelemetryWriter(other).write({ now: 12, rows: [], acks: [agent, 1, 20], gaps: [agent, 1, 12, 15] });
      assert.deepEqual([...later.gapsRecorded], [1]);
      assert.equal(repos.telemetry.gaps().length, 2);
    } finally {
      other.close();
    }
  });
});
