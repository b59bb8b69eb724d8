import { readFileSync } from 'node:fs';
import { parse as parseYaml, parseDocument } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { formatIssues } from '../protocol/codec.js';

export interface LoadConfigOptions {
  /** Environment to take overrides from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Variables under this prefix override file values: HASHWATT_BROKER__URL sets broker.url. */
  envPrefix?: string;
}

/** DATA_DIR → dataDir: environment names are upper snake case, config keys camelCase. */
function envSegmentToKey(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Applies HASHWATT_* overrides: `__` separates levels, values are read as YAML
 * scalars so numbers and booleans keep their types (HASHWATT_HTTP__PORT=8081).
 */
export function applyEnvOverrides(config: Record<string, unknown>, env: NodeJS.ProcessEnv, prefix: string, topLevelKeys?: ReadonlySet<string>): string[] {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const path = name.slice(prefix.length).split('__').filter(Boolean).map(envSegmentToKey);
    if (path.length === 0) continue;
    // Program-wide variables (HASHWATT_LOG_LEVEL, HASHWATT_DEBUG, miner
    // credentials for the CLI) share the prefix; only settings the schema
    // knows are overrides, so a strict schema never trips on them.
    if (topLevelKeys && !topLevelKeys.has(path[0]!)) continue;
    let node: Record<string, unknown> = config;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    let parsed: unknown = value;
    try {
      parsed = parseYaml(value);
    } catch {
      // not a YAML scalar: keep the raw string
    }
    node[path[path.length - 1]!] = parsed ?? value;
    applied.push(path.join('.'));
  }
  return applied;
}

/** The settings an object schema knows at its top level; undefined for other schema kinds. */
function topLevelKeysOf(schema: z.ZodType): ReadonlySet<string> | undefined {
  const shape = (schema as { shape?: unknown }).shape;
  return shape && typeof shape === 'object' ? new Set(Object.keys(shape)) : undefined;
}

/** Parses YAML text (named `source` in errors), applies overrides and validates. */
export function parseConfig<S extends z.ZodType>(text: string, source: string, schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `  - ${e.message.split('\n')[0]}`);
    throw new AppError('CONFIG_INVALID', `${source} is not valid YAML:\n${lines.join('\n')}`);
  }
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new AppError('CONFIG_INVALID', `${source}: expected a mapping of settings at the top level`);
  }
  applyEnvOverrides(data as Record<string, unknown>, options.env ?? process.env, options.envPrefix ?? 'HASHWATT_', topLevelKeysOf(schema));
  const result = schema.safeParse(data);
  if (!result.success) {
    const lines = formatIssues(result.error.issues).map((i) => `  - ${i.path}: ${i.message}`);
    throw new AppError('CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`, { details: { issues: result.error.issues } });
  }
  return result.data;
}

/** Reads and validates a YAML config file; every error names the file and the bad fields. */
export function loadConfigFile<S extends z.ZodType>(path: string, schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError('CONFIG_NOT_FOUND', `cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`, { cause: err });
  }
  return parseConfig(text, `config file ${path}`, schema, options);
}
