import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../cluster-config.js';

export interface LeaseEventLine {
  event: 'gained' | 'renewed' | 'lost';
  epoch: number;
  reason?: string;
  /** performance.now() of this (the test's) process when the line arrived. */
  at: number;
}

export interface LeaseHolderProcess {
  child: ChildProcess;
  /** Every event the child printed, in order. */
  lines: LeaseEventLine[];
}

/** Starts lease-holder-child.js as a real process competing for the lease. */
export function spawnLeaseHolder(options: { url: string; holder: string; cluster: ClusterConfig }): LeaseHolderProcess {
  const script = fileURLToPath(new URL('./lease-holder-child.js', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: LeaseEventLine[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => lines.push({ ...(JSON.parse(text) as Omit<LeaseEventLine, 'at'>), at: performance.now() }));
  return { child, lines };
}
