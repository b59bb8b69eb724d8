import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isRunning, signalAndWait } from '../helpers/child-exit.js';
import { findMosquitto, restartablePort } from '../helpers/mosquitto.js';

/**
 * A private Mosquitto the chaos run owns, so it can kill -9 it and bring it
 * back on the same port. Persistence on, saved every second: what a restarted
 * production broker would still hold (retained controls, persistent sessions);
 * anything newer is lost, as after a real crash.
 */
export interface ChaosBroker {
  url: string;
  running(): boolean;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function chaosBroker(dir: string): Promise<ChaosBroker> {
  const binary = findMosquitto();
  if (!binary) throw new Error('mosquitto is not installed (apt-get install mosquitto); the chaos run needs a broker it can kill');
  const port = await restartablePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    'max_queued_messages 100000',
    'log_dest none',
    '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  const alive = () => isRunning(child);
  const broker: ChaosBroker = {
    url: `mqtt://127.0.0.1:${port}`,
    running: alive,
    async start() {
      if (alive()) return;
      const c = spawn(binary, ['-c', conf], { stdio: 'ignore' });
      child = c;
      const deadline = Date.now() + 10_000;
      while (!(await listening(port))) {
        if (c.exitCode !== null) throw new Error(`mosquitto exited with ${c.exitCode}`);
        if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Something listening is not enough: it must be ours (another process may have taken the port).
      await new Promise((r) => setTimeout(r, 200));
      if (!alive()) throw new Error(`mosquitto exited with ${c.exitCode} (port ${port} taken?)`);
    },
    kill: () => signalAndWait(child, 'SIGKILL'),
    stop: () => signalAndWait(child, 'SIGTERM'),
  };
  return broker;
}
