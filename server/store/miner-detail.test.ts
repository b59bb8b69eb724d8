import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLogger } from '../../shared/log/logger.js';
import type { MinerDetail } from '../../shared/protocol/index.js';
import { migrate, openDatabase, type Db } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { createRepositories } from './repositories.js';
import { createTelemetryWriter, type TelemetryRow } from './telemetry-writer.js';

const log = createLogger({ level: 'silent' });

function withDb(fn: (db: Db, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-miner-detail-'));
  try {
    fn(openDatabase(dir, log), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const miner = (id: string, jth: number | null, extra: Partial<MinerDetail> = {}): MinerDetail =>
  ({ id, model: 'S19j Pro', firmware: 'stock', state: 'hashing', w: 3050, ths: 104, jth, tempC: 70, ...extra });

/** A detail message as the ingest hands it to the writer: its text is stored as is. */
function detailRow(siteId: number, agentId: number, seq: number, ts: number, miners: MinerDetail[], part = 0): TelemetryRow {
  const body = JSON.stringify({ v: 1, site: 's', agent: 'a', session: 1, seq, samples: [], miners, ...(part ? { part: { index: part, count: part + 1 } } : {}) });
  return { siteId, agentId, session: 1, seq, historical: false, samples: [], latest: -1, detailTs: ts, detailPart: part, detailBody: body };
}

test('miner detail: each miner at its newest report across parts, least efficient first; a replay of older detail changes nothing', () => {
  withDb((db) => {
    const repos = createRepositories(db);
    const site = repos.sites.createUnknown('s1', 1).id;
    const a1 = repos.agents.ensure(site, 'a1');
    const a2 = repos.agents.ensure(site, 'a2');
    const writer = createTelemetryWriter(db);
    writer.write({ now: 1, acks: [], gaps: [], rows: [
      detailRow(site, a1, 1, 1000, [miner('m1', 30), miner('m2', 40)]),
      detailRow(site, a1, 2, 1000, [miner('m3', null), miner('m4', 25, { w: null, powerSource: 'estimated', asleepByAgent: true, tempC: null })], 1),
      detailRow(site, a2, 1, 1500, [miner('m5', 35)]),
    ] });
    // A newer round of part 0 moves m2 to sleep; then a replayed older part 0 arrives late.
    writer.write({ now: 2, acks: [], gaps: [], rows: [detailRow(site, a1, 3, 2000, [miner('m1', 31), miner('m2', 40, { state: 'sleeping', w: 60, ths: 0, asleepByAgent: true })])] });
    writer.write({ now: 3, acks: [], gaps: [], rows: [detailRow(site, a1, 4, 900, [miner('m1', 99)])] });

    const page = repos.telemetry.miners(site, 100, 0);
    assert.equal(page.total, 5);
    assert.deepEqual(page.miners.map((m) => [m.miner, m.agent, m.jth, m.ts]), [
      ['m2', 'a1', 40, 2000], ['m5', 'a2', 35, 1500], ['m1', 'a1', 31, 2000], ['m4', 'a1', 25, 1000], ['m3', 'a1', null, 1000],
    ]);
    assert.deepEqual(page.miners[0], { miner: 'm2', agent: 'a1', model: 'S19j Pro', firmware: 'stock', state: 'sleeping', w: 60, powerSource: null, ths: 0, jth: 40, tempC: 70, asleepByAgent: true, ts: 2000 });
    assert.deepEqual({ w: page.miners[3]!.w, powerSource: page.miners[3]!.powerSource, tempC: page.miners[3]!.tempC, asleep: page.miners[3]!.asleepByAgent }, { w: null, powerSource: 'estimated', tempC: null, asleep: true });
    assert.deepEqual(repos.telemetry.miners(site, 2, 2).miners.map((m) => m.miner), ['m1', 'm4'], 'limit and offset page the same order');
    assert.equal(repos.telemetry.miners(repos.sites.createUnknown('s2', 1).id, 10, 0).total, 0);
  });
});

test('migration 4 carries the per-miner rows of an older database over, each miner with its own time', () => {
  withDb((_db, dir) => {
    _db.close();
    // Rebuild the file at schema 3, as an older release left it, with per-miner rows.
    const path = join(dir, 'old.db');
    const old = new Database(path);
    for (let v = 1; v <= 3; v++) old.exec(MIGRATIONS[v - 1]!);
    old.pragma('user_version = 3');
    old.exec(`INSERT INTO sites (id, site, name, registered, created_at, updated_at) VALUES (1, 's1', 'S1', 1, 0, 0);
      INSERT INTO agents (id, site_id, agent) VALUES (7, 1, 'a1');`);
    const insert = old.prepare(`INSERT INTO miners (site_id, miner, agent_id, model, firmware, state, w, power_source, ths, jth, temp_c, asleep_by_agent, ts)
      VALUES (1, ?, 7, 'S21', 'braiins', ?, ?, ?, ?, ?, ?, ?, ?)`);
    insert.run('m1', 'hashing', 3500, 'reported', 200, 17.5, 65, 0, 5000);
    insert.run('m2', 'sleeping', 55, null, 0, null, null, 1, 4000);
    insert.run('m3', 'hashing', null, 'estimated', 198, 18, 66.5, null, 5000);
    migrate(old, log);
    assert.equal(old.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal((old.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'miners'").get() as { n: number }).n, 0, 'old table dropped');
    const page = createRepositories(old).telemetry.miners(1, 10, 0);
    assert.deepEqual(page.miners, [
      { miner: 'm3', agent: 'a1', model: 'S21', firmware: 'braiins', state: 'hashing', w: null, powerSource: 'estimated', ths: 198, jth: 18, tempC: 66.5, asleepByAgent: null, ts: 5000 },
      { miner: 'm1', agent: 'a1', model: 'S21', firmware: 'braiins', state: 'hashing', w: 3500, powerSource: 'reported', ths: 200, jth: 17.5, tempC: 65, asleepByAgent: false, ts: 5000 },
      { miner: 'm2', agent: 'a1', model: 'S21', firmware: 'braiins', state: 'sleeping', w: 55, powerSource: null, ths: 0, jth: null, tempC: null, asleepByAgent: true, ts: 4000 },
    ]);
    // New detail for m1 supersedes its migrated row; the others keep theirs.
    createTelemetryWriter(old).write({ now: 6000, acks: [], gaps: [], rows: [detailRow(1, 7, 1, 6000, [miner('m1', 17.4)])] });
    assert.deepEqual(createRepositories(old).telemetry.miners(1, 10, 0).miners.map((m) => [m.miner, m.jth, m.ts]), [['m3', 18, 5000], ['m1', 17.4, 6000], ['m2', null, 4000]]);
    old.close();
  });
});
