import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * CPU and memory of the collector(s) under test over one phase of the ingest
 * bench, read from Linux /proc so a collector in this process and collectors
 * in their own processes are measured the same way (utime + stime ticks, 100
 * per second). Elsewhere the figures are NaN.
 */
export interface MeterReading {
  /** Sum over the collector processes, % of one core. */
  cpuPct: number;
  /** Peak of the summed resident memory of the collector processes. */
  rssMb: number;
  /** Main threads (summed) and the busiest other thread (the SQLite ingest writer), % of a core. */
  mainThreadPct: number;
  busiestOtherThreadPct: number;
  /** Event-loop delay: only for a collector in this process (NaN otherwise). */
  loopP99Ms: number;
  loopMaxMs: number;
  /** PostgreSQL backends serving the collectors' database (null: SQLite, or not on this machine). */
  serverCpuPct: number | null;
}

function ticksOf(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

/** utime + stime ticks of each thread of a process ("pid/tid" → ticks). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) out.set(`${pid}/${tid}`, ticksOf(`/proc/${pid}/task/${tid}/stat`));
  } catch {
    // not Linux, or the process is gone: no per-thread figures
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Starts measuring; the returned function ends the phase. `serverPids` lists the
 * database server's processes that serve the collectors (PostgreSQL backends),
 * asked every second because a pool may open connections during the phase.
 */
export function startMeter(options: { pids: number[]; inThisProcess: boolean; serverPids?: () => Promise<number[]> }): () => Promise<MeterReading> {
  const { pids } = options;
  const threads0 = new Map(pids.flatMap((pid) => [...threadTicks(pid)]));
  // Whole-process ticks also keep the time of threads that end during the phase.
  const processTicks = () => pids.reduce((n, pid) => n + ticksOf(`/proc/${pid}/stat`), 0);
  const cpu0 = processTicks();
  const loop = options.inThisProcess ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  loop?.enable();
  const t0 = performance.now();
  const sumRss = () => pids.reduce((n, pid) => n + rssBytes(pid), 0);
  let rss = sumRss();
  // First and latest ticks of every server process seen during the phase.
  const server = new Map<number, { first: number; last: number }>();
  const sampleServer = async () => {
    if (!options.serverPids) return;
    for (const pid of await options.serverPids().catch(() => [])) {
      const t = ticksOf(`/proc/${pid}/stat`);
      if (!Number.isFinite(t)) continue;
      const seen = server.get(pid);
      if (seen) seen.last = t;
      else server.set(pid, { first: t, last: t });
    }
  };
  void sampleServer();
  const timer = setInterval(() => {
    rss = Math.max(rss, sumRss());
    void sampleServer();
  }, 500);
  return async () => {
    clearInterval(timer);
    await sampleServer();
    loop?.disable();
    const elapsedS = (performance.now() - t0) / 1000;
    const threads1 = new Map(pids.flatMap((pid) => [...threadTicks(pid)]));
    const pctOf = (key: string) => ((threads1.get(key)! - (threads0.get(key) ?? 0)) / 100 / elapsedS) * 100;
    const mains = pids.map((pid) => `${pid}/${pid}`).filter((k) => threads1.has(k));
    const others = [...threads1.keys()].filter((k) => !mains.includes(k)).map(pctOf).sort((a, b) => b - a);
    const serverTicks = [...server.values()].reduce((n, s) => n + (s.last - s.first), 0);
    return {
      cpuPct: ((processTicks() - cpu0) / 100 / elapsedS) * 100,
      rssMb: Math.max(rss, sumRss()) / 2 ** 20,
      mainThreadPct: mains.length ? mains.reduce((n, k) => n + pctOf(k), 0) : NaN,
      busiestOtherThreadPct: others[0] ?? NaN,
      loopP99Ms: loop ? loop.percentile(99) / 1e6 : NaN,
      loopMaxMs: loop ? loop.max / 1e6 : NaN,
      serverCpuPct: options.serverPids ? (serverTicks / 100 / elapsedS) * 100 : null,
    };
  };
}
