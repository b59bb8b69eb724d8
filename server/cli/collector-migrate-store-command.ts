import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { AppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { CollectorConfigSchema } from '../config/collector-config.js';
import { DB_FILE } from '../store/database.js';
import { migrateSqliteToPostgres } from '../store/migrate/migrate-sqlite-to-postgres.js';

const HELP = `Usage: hashwatt collector migrate-store --config FILE --to postgres://USER@HOST:PORT/DATABASE

Copy the collector's SQLite database (collector.db under the config's dataDir)
into a new PostgreSQL database (docs/postgres-store.md, "Moving a collector
from SQLite": the collector itself does not run on PostgreSQL yet).

The target must hold no collector data yet (an empty database, or one only
migrated): anything else is refused and nothing is written. It is brought to
the latest PostgreSQL schema, then every table is copied in one transaction
that commits only when each table counts the same rows on both sides.
The SQLite file is read, never written: a running collector may keep it
open (the copy is the snapshot taken when the copy starts; stop the collector
first so nothing written after it is left behind).

Options:
  --config FILE   the collector YAML (names dataDir)
  --to URL        the target PostgreSQL database (postgres://…)
  -h, --help      show this help

Prints each table as it is copied and, at the end, its rows in both databases.

Exit codes: 0 copied and counts match, 1 failure (counts differ, target not
empty, database error), 2 bad usage or config.`;

export const command: Command = {
  path: ['collector', 'migrate-store'],
  summary: 'Copy the collector SQLite database into a new PostgreSQL database',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' }, to: { type: 'string' } });
    if (positionals.length > 0) throw new AppError('USAGE', `unexpected argument "${positionals[0]}"`);
    if (!values.config) throw new AppError('USAGE', 'collector migrate-store needs --config FILE');
    if (!values.to) throw new AppError('USAGE', 'collector migrate-store needs --to postgres://… (the target database)');
    const config = loadConfigFile(values.config, CollectorConfigSchema);
    const sqlitePath = join(config.dataDir, DB_FILE);
    if (!existsSync(sqlitePath)) throw new AppError('CONFIG_NOT_FOUND', `no collector database at ${sqlitePath}`);
    const target = parseTarget(values.to);
    process.stdout.write(`migrating ${sqlitePath} to PostgreSQL ${target.host}${target.pathname}\n`);
    const counts = await migrateSqliteToPostgres({
      sqlitePath,
      url: values.to,
      report: (line) => process.stdout.write(`${line}\n`),
      log: createLogger({ name: 'migrate-store', level: 'warn' }),
    });
    const rows = counts.reduce((sum, c) => sum + c.postgres, 0);
    process.stdout.write(`\ndone: ${counts.length} tables, ${rows.toLocaleString('en')} rows, counts match\n`);
    return EXIT.OK;
  },
};

function parseTarget(url: string): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') return parsed;
  } catch {
    // falls through to the usage error
  }
  throw new AppError('USAGE', `--to ${JSON.stringify(url)} is not a postgres:// URL (postgres://USER@HOST:PORT/DATABASE)`);
}
