import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log/logger.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const DB_FILE = 'collector.db';

/** Opens (creating if needed) the collector database in `dataDir` with WAL and runs pending migrations. */
export function openDatabase(dataDir: string, log: Logger): Db {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `cannot create dataDir ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  const path = join(dataDir, DB_FILE);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL under WAL is durable across process crashes (only an OS crash can lose the last commits).
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  migrate(db, log);
  return db;
}

export function migrate(db: Db, log: Logger): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new AppError('CONFIG_INVALID', `database schema version ${current} is newer than this build knows (${MIGRATIONS.length}); upgrade hashwatt`);
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
    log.info({ version }, 'database migrated');
  }
}

/** Bytes on disk: main file plus WAL. */
export function databaseSizeBytes(db: Db): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return pages * size;
}

/** Folds the WAL into the main file, then closes: after a clean stop the .db file alone holds everything. */
export function closeDatabase(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
