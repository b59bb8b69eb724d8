import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts a real `mosquitto` with a config of the test's choosing on free
 * loopback ports, for tests of broker configuration (TLS, passwords, ACL) that
 * the shared broker on 1883 cannot cover.
 */

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/bin/mosquitto'];

/** Path of the mosquitto binary, or undefined when it is not installed. */
export function findMosquitto(): string | undefined {
  for (const path of CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/**
 * A port below Linux's ephemeral range (32768–60999) that is free now, for a
 * server a test restarts on the same port: while it is down, a port from the
 * ephemeral range can be handed to any other process binding port 0.
 */
export async function restartablePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort(host);
}

/** A TCP port that was free on `host` a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection at host:port within half a second. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface RunningMosquitto {
  ports: number[];
  host: string;
  /** Folder holding mosquitto.conf; removed by stop() when the helper made it. */
  dir: string;
  /** Everything mosquitto wrote to stdout/stderr so far (the configs log to stderr). */
  output(): string;
  /** SIGHUP: mosquitto re-reads the password and ACL files. */
  reload(): void;
  stop(): Promise<void>;
}

export interface StartMosquittoOptions {
  /** Builds the config text for the ports the helper picked. */
  config: (ports: number[]) => string;
  /** How many listener ports the config needs. */
  portCount?: number;
  host?: string;
  /** Folder to write mosquitto.conf into; a fresh temp folder when absent. */
  dir?: string;
  startTimeoutMs?: number;
}

export async function startMosquitto(options: StartMosquittoOptions): Promise<RunningMosquitto> {
  const binary = findMosquitto();
  if (!binary) throw new Error('mosquitto is not installed (looked in ' + CANDIDATES.join(', ') + ')');
  const host = options.host ?? '127.0.0.1';
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hashwatt-mosquitto-'));
  // A port picked free can be taken before mosquitto binds it; try again then.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < (options.portCount ?? 1); i++) ports.push(await freePort(host));
    const configPath = join(dir, 'mosquitto.conf');
    writeFileSync(configPath, options.config(ports));
    try {
      return await launch(binary, configPath, ports, host, dir, ownDir, options.startTimeoutMs ?? 10_000);
    } catch (err) {
      lastError = err as Error;
      if (!/Address already in use/i.test(lastError.message)) break;
    }
  }
  if (ownDir) rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('mosquitto did not start');
}

async function launch(binary: string, configPath: string, ports: number[], host: string, dir: string, ownDir: boolean, timeoutMs: number): Promise<RunningMosquitto> {
  const child: ChildProcess = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`mosquitto exited with code ${exited} while starting:\n${output}`);
    const up = await Promise.all(ports.map((port) => canConnect(host, port)));
    if (up.every(Boolean)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not listen on ${host}:${ports.join(',')} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    ports,
    host,
    dir,
    output: () => output,
    reload: () => void child.kill('SIGHUP'),
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
