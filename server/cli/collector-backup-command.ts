import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { AppError } from '../../shared/errors.js';
import { CollectorConfigSchema } from '../config/collector-config.js';
import { DB_FILE } from '../store/database.js';

const HELP = `Usage: hashwatt collector backup FILE --config FILE [--force]

Copy the collector database to FILE with SQLite's online backup API: safe
while the collector runs (it keeps writing; the copy is one consistent
snapshot). With the PostgreSQL store (store: { kind: postgres }) use the
database's own tools instead: pg_dump, or the cluster's base backups and WAL
archive (docs/postgres-store.md).

Options:
  --config FILE   the collector YAML (names dataDir)
  --force         overwrite FILE if it exists
  -h, --help      show this help

Exit codes: 0 written, 1 failure, 2 bad usage or config.`;

export const command: Command = {
  path: ['collector', 'backup'],
  summary: 'Back up the collector database while it runs (SQLite online backup)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' }, force: { type: 'boolean' } });
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new AppError('USAGE', 'collector backup needs exactly one FILE to write');
    if (!values.config) throw new AppError('USAGE', 'collector backup needs --config FILE');
    const config = loadConfigFile(values.config, CollectorConfigSchema);
    if (config.store.kind !== 'sqlite') throw new AppError('USAGE', `collector backup copies the SQLite store; this collector stores in PostgreSQL (${redactedUrl(config.store.url)}): back it up with pg_dump or the cluster's base backups (docs/postgres-store.md)`);
    const source = join(config.dataDir, DB_FILE);
    if (!existsSync(source)) throw new AppError('CONFIG_NOT_FOUND', `no collector database at ${source}`);
    if (existsSync(target) && !values.force) throw new AppError('USAGE', `${target} exists; use --force to overwrite it`);
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      let pages = 0;
      await db.backup(target, {
        progress: ({ totalPages, remainingPages }) => {
          pages = totalPages;
          return remainingPages > 0 ? 1000 : 0;
        },
      });
      process.stdout.write(`backup written to ${target} (${pages} pages)\n`);
      return EXIT.OK;
    } finally {
      db.close();
    }
  },
};

/** A database URL for a message: no password. */
function redactedUrl(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}
