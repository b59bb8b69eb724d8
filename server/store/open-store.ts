import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.js';
import { openDatabase } from './database.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import type { SiteDefaults } from './site-repository.js';
import { createSqliteStore } from './sqlite-store.js';
import type { StorePort } from './store-port.js';

/**
 * Where the collector stores: `sqlite` (the default: one file in dataDir) or
 * `postgres` (a database several collectors share). Meant for the collector
 * config as `store: StoreConfigSchema.default({ kind: 'sqlite' })`.
 */
export const StoreConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite') }),
  z.object({
    kind: z.literal('postgres'),
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL, e.g. postgres://hashwatt@db.example:5432/hashwatt'),
    /** Connections in the pool. */
    poolSize: z.number().int().min(1).max(200).default(10),
  }),
]);
export type StoreConfig = z.infer<typeof StoreConfigSchema>;

/** Opens (creating and migrating if needed) the configured store. */
export async function openStore(config: StoreConfig, options: { dataDir: string; log: Logger; siteDefaults?: SiteDefaults }): Promise<StorePort> {
  const siteDefaults = options.siteDefaults ? { siteDefaults: options.siteDefaults } : {};
  if (config.kind === 'sqlite') return createSqliteStore(openDatabase(options.dataDir, options.log), siteDefaults);
  return openPostgresStore({ url: config.url, max: config.poolSize, log: options.log, ...siteDefaults });
}
