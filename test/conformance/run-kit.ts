import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Outcome } from '../../shared/conformance/results.js';

const cli = fileURLToPath(new URL('../../bin/hashwatt.js', import.meta.url));

export interface KitRun {
  code: number | null;
  outcomes: Outcome[];
  stderr: string;
  /** Outcome of one requirement, failing the lookup loudly. */
  get(id: string): Outcome;
}

/** Runs `hashwatt conformance <mode> ... --json` as a user would and parses its table. */
export function runKit(mode: 'agent' | 'collector', args: string[]): Promise<KitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'conformance', mode, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      let outcomes: Outcome[];
      try {
        outcomes = JSON.parse(stdout) as Outcome[];
      } catch {
        return reject(new Error(`conformance ${mode} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
      }
      resolve({
        code,
        outcomes,
        stderr,
        get(id) {
          const o = outcomes.find((x) => x.id === id);
          if (!o) throw new Error(`no outcome for ${id}`);
          return o;
        },
      });
    });
  });
}

/** A readable dump for assertion messages. */
export const describeOutcomes = (outcomes: Outcome[]) => outcomes.map((o) => `${o.id} ${o.verdict}: ${o.detail}`).join('\n');
