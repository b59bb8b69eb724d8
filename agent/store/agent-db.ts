import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';

export type Db = Database.Database;

/** Numbered migrations; `user_version` records how many have run. Append only, never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE outbox (
     session INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('sample', 'detail')),
     bytes INTEGER NOT NULL,
     payload TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     sent_at INTEGER,
     sends INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (session, seq)
   ) WITHOUT ROWID;
   CREATE INDEX outbox_kind ON outbox (kind, session, seq);
   CREATE INDEX outbox_sent ON outbox (sent_at);
   CREATE TABLE control_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     raw TEXT NOT NULL,
     revision INTEGER NOT NULL,
     accepted_at INTEGER NOT NULL,
     baseline_kw REAL,
     phase TEXT NOT NULL
   );
   CREATE TABLE curtailed_miners (
     miner_id TEXT PRIMARY KEY,
     previous_state TEXT NOT NULL,
     previous_power_target_w REAL,
     expected_kw REAL NOT NULL,
     slept_at INTEGER NOT NULL,
     revision INTEGER NOT NULL
   );`,
  // 2: control reports ride in the outbox with telemetry (kept until acked, survive a restart).
  `CREATE TABLE outbox_new (
     session INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('sample', 'detail', 'report')),
     bytes INTEGER NOT NULL,
     payload TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     sent_at INTEGER,
     sends INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (session, seq)
   ) WITHOUT ROWID;
   INSERT INTO outbox_new SELECT session, seq, kind, bytes, payload, created_at, sent_at, sends FROM outbox;
   DROP TABLE outbox;
   ALTER TABLE outbox_new RENAME TO outbox;
   CREATE INDEX outbox_kind ON outbox (kind, session, seq);
   CREATE INDEX outbox_sent ON outbox (sent_at);`,
  // 3: miners the agent turned down to a power target, with the target they had before (issue 17).
  `CREATE TABLE power_targets (
     miner_id TEXT PRIMARY KEY,
     original_target_w REAL,
     full_w REAL NOT NULL,
     full_ths REAL NOT NULL,
     target_w REAL NOT NULL,
     set_at INTEGER NOT NULL,
     revision INTEGER NOT NULL
   );`,
];

/** Opens (creating) `<dataDir>/agent.db` in WAL mode and runs pending migrations. */
export function openAgentDb(dataDir: string): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `dataDir ${dataDir} cannot be created: ${(err as Error).message}`, { cause: err });
  }
  const path = join(dataDir, 'agent.db');
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `cannot open the agent database ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process kill (SIGKILL); only power loss may
  // lose the last transactions, which the collector's gap detection shows.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new AppError('CONFIG_INVALID', `agent database schema version ${current} is newer than this build knows (${MIGRATIONS.length}); use a newer hashwatt`);
  }
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
