import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The minimal Python agent of test/conformance/python-agent/, run by Debian's python3. */
export const PYTHON = '/usr/bin/python3';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
export const PYTHON_AGENT = join(repoRoot(), 'test/conformance/python-agent/hashwatt_agent.py');

/** Why the Python agent cannot run here, or null. */
export function pythonAgentMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client, cryptography.hazmat.primitives.asymmetric.ed25519'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.status !== 0) return `paho-mqtt or cryptography not importable by ${PYTHON} (${(probe.stderr || '').trim().split('\n').pop()}); install python3-paho-mqtt and python3-cryptography`;
  return null;
}

export interface PythonAgent {
  agent: string;
  child: ChildProcess;
  stderr: string[];
  /** SIGINT (a clean goodbye: state online: false), then wait for the exit. */
  stop(): Promise<void>;
}

export function startPythonAgent(options: { broker: string; site: string; agent: string; publicKey: string; stateDir: string; extra?: string[] }): PythonAgent {
  const child = spawn(PYTHON, [PYTHON_AGENT, '--broker', options.broker, '--site', options.site, '--agent', options.agent, '--public-key', options.publicKey, '--state-dir', options.stateDir, '--interval', '0.5', ...(options.extra ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString('utf8')));
  return {
    agent: options.agent,
    child,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}
