import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { reserveControlRevisions } from '../../cluster/control-revision.js';
import { acquireLease } from '../../cluster/lease-queries.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../contract/pg-test-database.js';
import { createSilentLogger } from '../../../shared/log/logger.js';
import { DB_FILE, openDatabase } from '../database.js';
import { openPostgresStore } from '../postgres/postgres-store.js';
import { DAY, writeSqliteFixture, type SqliteFixture } from './sqlite-fixture.js';

// The operator's path: a collector ran on SQLite; `hashwatt collector migrate-store`
// moves it into PostgreSQL; the PostgreSQL store then shows the same farm.
const cli = fileURLToPath(new URL('../../../bin/hashwatt.js', import.meta.url));
const skip = await postgresSkipReason();

let dir: string;
let config: string;
let fixture: SqliteFixture;
const databases: TestDatabase[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hashwatt-migrate-store-'));
  const dataDir = join(dir, 'data');
  config = join(dir, 'collector.yaml');
  await writeFile(config, `dataDir: ${dataDir}\nsigning:\n  privateKeyFile: ${dir}/k.key\n  publicKeyFile: ${dir}/k.pub\n`);
  fixture = await writeSqliteFixture(dataDir);
});
after(async () => {
  for (const d of databases) await d.drop();
  await rm(dir, { recursive: true, force: true });
});

const migrate = (to: string) => spawnSync(process.execPath, [cli, 'collector', 'migrate-store', '--config', config, '--to', to], { encoding: 'utf8' });

test('migrate-store copies every table into PostgreSQL: the PostgreSQL store shows the same sites, agents, samples, events, controls, users and audit; revisions continue above the copied ones; a second run refuses the non-empty target', { skip, timeout: 120_000 }, async () => {
  const sqlite = new Database(join(dir, 'data', DB_FILE), { readonly: true });
  const tables = sqlite.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all().map((r) => r.name);
  const empty = tables.filter((t) => (sqlite.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n === 0);
  assert.deepEqual(empty, [], 'the fixture fills every SQLite table (a new table needs a row in sqlite-fixture.ts)');
  sqlite.close();

  const target = await createTestDatabase('migrate');
  databases.push(target);
  // A collector still has the file open (WAL, read-write): the copy reads beside it.
  const collectorHandle = openDatabase(join(dir, 'data'), createSilentLogger());
  let run: ReturnType<typeof migrate>;
  try {
    run = migrate(target.url);
    collectorHandle.prepare("INSERT INTO meta (key, value) VALUES ('written_after', 'x')").run();
  } finally {
    collectorHandle.close();
  }
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  for (const table of tables) assert.match(run.stdout, new RegExp(`^${table}: [\\d,]+ rows copied`, 'm'), `progress line for ${table}`);
  assert.match(run.stdout, /^samples\s+4\s+4$/m, 'the summary gives each table\'s rows in both databases');
  assert.match(run.stdout, /counts match/);

  const store = await openPostgresStore({ url: target.url, max: 2 });
  try {
    const sites = await store.sites.list();
    assert.deepEqual(sites.map((s) => [s.site, s.registered, s.flagged, s.allocationKw, s.autoEnforce]).sort(),
      [['alpha', true, false, 1200, true], ['beta', true, false, 500, true], ['grey', false, true, 0, null]], 'sites with their flags as booleans and the dated terms in force');
    const alpha = sites.find((s) => s.site === 'alpha')!;
    assert.deepEqual((await store.sites.terms(alpha.id)).map((t) => [t.effectiveFrom, t.allocationKw]), [[0, 1000], [fixture.t0 + DAY, 1200]]);

    const agents = await store.agents.list();
    const gw = agents.find((a) => a.site === 'alpha')!;
    assert.deepEqual([gw.agent, gw.online, gw.session, gw.birth, gw.minerKw, gw.sampleTs], ['gw-1', true, 7, { model: 'agent', version: '1.0' }, 902, fixture.t0 + 2 * DAY]);
    assert.equal(await store.telemetry.ackedSeq(gw.id, 7), 2);
    const miners = await store.telemetry.miners(alpha.id, 10, 0);
    assert.deepEqual(miners.miners.map((m) => [m.miner, m.state]), [['m-1', 'hashing'], ['m-2', 'sleeping']], 'per-miner detail reads back through miner_detail_latest');
    const series = await store.rollups.series(alpha.id, fixture.t0, fixture.t0 + 3 * DAY, 60_000);
    assert.deepEqual(series.map((p) => p.ts), [0, 1, 2].map((d) => fixture.t0 + d * DAY), 'rollups give the same series');
    const days = await store.sql<{ name: string }[]>`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'samples'::regclass`;
    const [samplesBack] = await store.sql<{ n: number; historical: number }[]>`SELECT count(*)::bigint AS n, count(*) FILTER (WHERE historical)::bigint AS historical FROM samples`;
    assert.deepEqual(samplesBack, { n: 4, historical: 1 }, `samples in their day partitions (${days.map((d) => d.name).join(', ')})`);

    // Their tables read directly: what was copied, not what a repository makes of it.
    const [event] = await store.sql`SELECT id, kind, status, scope, requested_kw FROM events`;
    assert.deepEqual({ ...event }, { id: fixture.eventId, kind: 'reduce_by_kw', status: 'active', scope: JSON.stringify({ sites: ['alpha', 'beta'] }), requested_kw: 300 });
    const targets = await store.sql`SELECT s.site, t.state, t.revision, t.target_kw FROM event_targets t JOIN sites s ON s.id = t.site_id ORDER BY s.site`;
    assert.deepEqual(targets.map((t) => ({ ...t })), [{ site: 'alpha', state: 'holding', revision: fixture.lastRevision, target_kw: 700 }, { site: 'beta', state: 'pending', revision: null, target_kw: 300 }]);
    const controls = await store.sql`SELECT c.site_id, c.revision, c.payload, p.published_at FROM controls c
      LEFT JOIN control_publications p ON p.site_id = c.site_id AND p.revision = c.revision`;
    assert.deepEqual(controls.map((c) => ({ ...c })), [{ site_id: alpha.id, revision: fixture.lastRevision, payload: JSON.stringify({ v: 1, revision: fixture.lastRevision, limitKw: 700 }), published_at: fixture.t0 + 1000 }]);
    const users = await store.sql`SELECT u.username, u.role, t.label, s.ip FROM users u JOIN user_tokens t ON t.user_id = u.id JOIN user_sessions s ON s.user_id = u.id`;
    assert.deepEqual(users.map((u) => ({ ...u })), [{ username: 'chief', role: 'admin', label: 'ci', ip: '10.0.0.9' }]);
    const audit = await store.sql`SELECT actor, action, target FROM audit_log ORDER BY id`;
    assert.deepEqual(audit.map((a) => ({ ...a })), [{ actor: 'chief', action: 'event.create', target: fixture.eventId }, { actor: 'root', action: 'user.create', target: 'chief' }]);
    const links = await store.sql`SELECT interval_id, aggregate, curtailed, reported FROM openadr_links ORDER BY interval_id`;
    assert.deepEqual(links.map((l) => ({ ...l })), [{ interval_id: 0, aggregate: true, curtailed: true, reported: true }, { interval_id: 1, aggregate: false, curtailed: false, reported: false }],
      'SQLite 0/1 flags arrive as booleans');

    // New rows continue after the copied ids instead of colliding with them.
    const [entry] = await store.sql<{ id: number }[]>`INSERT INTO audit_log (ts, actor_kind, actor, action) VALUES (${Date.now()}, 'system', 'test', 'migrated') RETURNING id`;
    assert.equal(entry!.id, 3);

    // The first leader on PostgreSQL reserves above every revision agents have seen.
    const epoch = await acquireLease(store.sql as never, 'collector', 'after-migration', 30);
    assert.ok(epoch !== undefined);
    const next = await store.sql.begin((tx) => reserveControlRevisions(tx, { name: 'collector', holder: 'after-migration', epoch }));
    assert.equal(next, fixture.lastRevision + 1);
  } finally {
    await store.close();
  }

  const again = migrate(target.url);
  assert.equal(again.status, 1, again.stdout);
  assert.match(again.stderr, /already holds collector data \(rows in meta, sites, agents, agent_sessions and \d+ more tables\); nothing was written/);
  const reread = await openPostgresStore({ url: target.url, max: 1 });
  try {
    const [audit] = await reread.sql<{ n: number }[]>`SELECT count(*)::bigint AS n FROM audit_log`;
    assert.equal(audit!.n, 3, 'the refused run wrote nothing (the two copied entries and the test\'s own)');
  } finally {
    await reread.close();
  }
});

test('migrate-store exits 1 and commits nothing when a table arrives with fewer rows than SQLite has', { skip, timeout: 120_000 }, async () => {
  const target = await createTestDatabase('migrate_lossy');
  databases.push(target);
  const store = await openPostgresStore({ url: target.url, max: 1 });
  try {
    // A trigger that swallows audit rows: the schema is there and holds no data, so the target is accepted.
    await store.sql.unsafe(`CREATE FUNCTION swallow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER audit_log_swallow BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION swallow_row();`);
    const run = migrate(target.url);
    assert.equal(run.status, 1, run.stdout);
    assert.match(run.stdout, /^audit_log\s+2\s+0\s+DIFFERENT$/m);
    assert.match(run.stderr, /row counts differ in audit_log \(SQLite 2, PostgreSQL 0\); nothing was committed/);
    const [sites] = await store.sql<{ n: number }[]>`SELECT count(*)::bigint AS n FROM sites`;
    assert.equal(sites!.n, 0, 'the tables that did copy were rolled back with the rest');
  } finally {
    await store.close();
  }
});
