import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_KEY_FILE } from '../../shared/signing/key-files.js';
import type { StoreConfig } from '../../server/store/open-store.js';
import { collectorProcess, type CollectorProcess } from '../helpers/collector-process.js';

/**
 * The collectors of a chaos run: one (the default, on the run's test store) or,
 * with --cluster, two on one PostgreSQL database that elect a leader. Each is
 * started as systemd would (Restart=on-failure): one that cannot come up is
 * killed and started again until it does.
 */
export interface ChaosCollector {
  name: string;
  process: CollectorProcess;
  /** Process starts so far: a leader seen after a restart is a new term even under the same name. */
  starts: number;
  running(): boolean;
  /** Starts it once; throws when it does not come up (the run's first start). */
  startOnce(): Promise<void>;
  /** Starts it until it comes up (a restart after a kill). */
  start(): Promise<void>;
  kill(): Promise<void>;
}

export async function chaosCollectors(dir: string, options: { brokerUrl: string; prefix: string; sites: string[]; cluster?: { store: StoreConfig }; log: (line: string) => void }): Promise<ChaosCollector[]> {
  const { brokerUrl, prefix, sites, cluster, log } = options;
  if (!cluster) return [supervised('collector', await collectorProcess(dir, { brokerUrl, prefix, sites }), log)];
  const dataDir = join(dir, 'store'); // one data dir, one database: the share group
  const processes: CollectorProcess[] = [];
  for (const name of ['a', 'b']) {
    const own = join(dir, `collector-${name}`);
    mkdirSync(own);
    // Every collector of a cluster signs with the same key (one config, copied): agents trust one key, whoever leads.
    const first = processes[0];
    const signing = first ? { signing: { privateKeyFile: join(dir, 'collector-a', 'keys', PRIVATE_KEY_FILE), publicKeyFile: first.publicKeyPath } } : {};
    processes.push(await collectorProcess(own, {
      brokerUrl, prefix: `${prefix}-${name}`, sites, store: cluster.store, logFile: join(dir, `collector-${name}.log`),
      // The ingest split as docs/protocol.md#several-collectors deploys it: a shared subscription, each message to one of them.
      config: { dataDir, ingest: { clientId: `${prefix}-${name}`, flushMs: 50, sessionExpiryS: 120, sites, shareGroup: `${prefix}-ingest` }, ...signing },
    }));
  }
  return processes.map((p, i) => supervised(`collector ${'ab'[i]}`, p, log));
}

function supervised(name: string, process: CollectorProcess, log: (line: string) => void): ChaosCollector {
  let starting: Promise<void> | undefined;
  const c: ChaosCollector = {
    name, process, starts: 0,
    running: () => process.running(),
    startOnce() {
      c.starts++;
      return process.start();
    },
    start() {
      // One supervisor at a time: a kill while it starts just makes it try again.
      starting ??= (async () => {
        for (;;) {
          // A restart due after it already came back (the supervisor retried first): a second process would orphan the first.
          if (process.running()) return;
          try {
            c.starts++;
            return await process.start();
          } catch (err) {
            log(`${name} did not come up (${(err as Error).message.split('\n')[0]}); starting it again in 2 s`);
            await process.kill('SIGKILL');
            await new Promise((r) => setTimeout(r, 2000));
          }
        }
      })().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    kill: () => process.kill('SIGKILL'),
  };
  return c;
}

/** Whether this collector says it leads (hashwatt_cluster_leader on /metrics); undefined when it does not answer. */
export async function leads(c: ChaosCollector): Promise<boolean | undefined> {
  if (!c.running()) return undefined;
  try {
    const res = await fetch(`http://127.0.0.1:${c.process.port}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    return /^hashwatt_cluster_leader 1$/m.test(await res.text());
  } catch {
    return undefined;
  }
}

/**
 * The leadership lines of the cluster's collector logs (gained, lost, released,
 * lease statements failing), oldest first: what the election did, next to what
 * the run saw from outside.
 */
export function leadershipLog(dir: string): string[] {
  const lines: Array<{ time: number; text: string }> = [];
  for (const name of ['a', 'b']) {
    let text = '';
    try {
      text = readFileSync(join(dir, `collector-${name}.log`), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!/leadership|lease/.test(line)) continue;
      try {
        const entry = JSON.parse(line) as { time: string; msg: string; epoch?: number; reason?: string };
        lines.push({ time: Date.parse(entry.time), text: `collector ${name}: ${entry.msg}${entry.epoch === undefined ? '' : ` (epoch ${entry.epoch})`}${entry.reason ? ` ${entry.reason}` : ''}` });
      } catch {
        // a line cut by kill -9
      }
    }
  }
  return lines.sort((x, y) => x.time - y.time).map((l) => `[${new Date(l.time).toISOString().slice(11, 23)}] ${l.text}`);
}
