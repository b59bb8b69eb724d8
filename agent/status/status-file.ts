import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Sample } from '../../shared/protocol/index.js';
import type { ReconcilerStatus } from '../curtail/control-reconciler.js';
import type { OutboxStats } from '../link/outbox.js';

/** What `hashwatt agent status` shows; written by the running agent after every poll. */
export interface AgentStatus {
  site: string;
  agent: string;
  pid: number;
  session: number;
  startedAt: number;
  updatedAt: number;
  running: boolean;
  broker: { url: string; connected: boolean; connects: number; disconnects: number; lastError: string | null };
  collectorOnline: boolean | null;
  lastPoll: (Sample & { durationMs: number }) | null;
  polls: { cycles: number; overruns: number };
  miners: { total: number; undetected: number };
  outbox: { rows: number; bytes: number; oldestAt: number | null } & OutboxStats;
  control: ReconcilerStatus;
}

export const STATUS_FILE = 'status.json';

/** Written whole to a temporary file and renamed, so a reader never sees half of it. */
export function writeStatusFile(dataDir: string, status: AgentStatus): void {
  const path = join(dataDir, STATUS_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function readStatusFile(dataDir: string): AgentStatus {
  const path = join(dataDir, STATUS_FILE);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AgentStatus;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError('NOT_FOUND', code === 'ENOENT' ? `no agent status at ${path}: the agent has not run with this dataDir yet` : `cannot read ${path}: ${(err as Error).message}`);
  }
}
