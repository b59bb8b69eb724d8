import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../shared/log/logger.js';
import { startDemo } from '../server/demo/start-demo.js';

/**
 * npm run bench -- sleep-count [--sites 20] [--miners 3000] [--machines 2500] [--time-factor 0.25]
 *
 * The Xive story on the demo (issue 14): a sleep_count event of 2,500 machines
 * over 20 sites of 3,000 emulated miners. Measures, per site, the time from POST
 * to the target confirmed from telemetry (machines asleep), against the agent's
 * own ramp for that site; counts control_unconfirmed alerts (target: none); then
 * cancels and measures the time until every miner hashes again.
 *
 * The agent's ramp: it acts once per poll cycle (agent/main.ts ticks the
 * reconciler after each poll; the demo polls every 5 s), one batch of 25 at a
 * time, and not before the batch pause (5 s × time factor) after the previous
 * batch's pause (6 s × time factor) ended. A target is "within the ramp" when it
 * confirms by the poll after the last batch: ramp + one poll interval + 2 s.
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const SITES = Number(args.get('sites') ?? 20);
const MINERS = Number(args.get('miners') ?? 3000);
const MACHINES = Number(args.get('machines') ?? 2500);
const TIME_FACTOR = Number(args.get('time-factor') ?? 0.25);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-sleep-bench-'));
  const demo = await startDemo({ sites: SITES, miners: MINERS, httpPort: 0, mqttPort: 0, explicitPorts: { http: true, mqtt: true }, timeFactor: TIME_FACTOR, dataDir, log: createLogger({ name: 'sleep-count-bench', level: 'warn' }) });
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${demo.httpUrl}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${demo.tokens.operator}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return (await res.json()) as any;
  };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const sites = (await api('/sites')).sites as Array<{ counts: { hashing: number; total: number } }>;
      if (sites.length === SITES && sites.every((s) => s.counts.total > 0 && s.counts.hashing === s.counts.total)) break;
      if (Date.now() > deadline) throw new Error('the demo did not come up with every miner hashing within 120 s');
      await sleep(1000);
    }
    const t0 = Date.now();
    const created = await api('/events', { method: 'POST', body: { scope: { all: true }, kind: 'sleep_count', value: MACHINES, durationS: 3600, reason: 'sleep-count bench' } });
    const confirmedAt = new Map<string, number>();
    const planned = new Map<string, number>((created.targets as Array<{ site: string; value: number }>).map((t) => [t.site, t.value]));
    while (confirmedAt.size < planned.size && Date.now() - t0 < 300_000) {
      const e = await api(`/events/${created.id}`);
      for (const t of e.targets as Array<{ site: string; state: string }>) if (t.state === 'confirmed' && !confirmedAt.has(t.site)) confirmedAt.set(t.site, Date.now() - t0);
      await sleep(250);
    }
    const POLL_S = 5;
    const rampS = (n: number) => Math.ceil(n / 25) * Math.max(POLL_S, (6 + 5) * TIME_FACTOR);
    const rows = [...planned].map(([site, n]) => ({ site, machines: n, rampS: rampS(n), confirmS: (confirmedAt.get(site) ?? NaN) / 1000 }));
    const late = rows.filter((r) => !(r.confirmS <= r.rampS + POLL_S + 2));
    const alerts = ((await api('/alerts?kind=control_unconfirmed')).alerts as unknown[]).length;
    const tCancel = Date.now();
    await api(`/events/${created.id}`, { method: 'DELETE' });
    let wakeS = NaN;
    while (Date.now() - tCancel < 300_000) {
      const sites = (await api('/sites')).sites as Array<{ counts: { hashing: number; total: number } }>;
      if (sites.every((s) => s.counts.hashing === s.counts.total)) { wakeS = (Date.now() - tCancel) / 1000; break; }
      await sleep(500);
    }
    const worst = Math.max(...rows.map((r) => r.confirmS - r.rampS));
    process.stdout.write(`sleep_count ${MACHINES} machines over ${SITES} sites (${MINERS} miners, time factor ${TIME_FACTOR})\n`);
    for (const r of rows.sort((a, b) => b.machines - a.machines)) process.stdout.write(`  ${r.site.padEnd(18)} ${String(r.machines).padStart(5)} machines  ramp ${r.rampS.toFixed(1).padStart(5)} s  confirmed after ${r.confirmS.toFixed(1).padStart(5)} s\n`);
    process.stdout.write(`confirmed ${confirmedAt.size}/${planned.size} sites; last ${Math.max(...rows.map((r) => r.confirmS)).toFixed(1)} s; worst lag behind its ramp ${worst.toFixed(1)} s; after ramp + one poll + 2 s: ${late.length} site(s)\n`);
    process.stdout.write(`control_unconfirmed alerts: ${alerts} (target 0)\n`);
    process.stdout.write(`cancel → every miner hashing: ${wakeS.toFixed(1)} s\n`);
    const ok = confirmedAt.size === planned.size && late.length === 0 && alerts === 0 && Number.isFinite(wakeS);
    process.stdout.write(`target (every site confirmed within its ramp, no false alert, all awake after cancel): ${ok ? 'met' : 'NOT met'}\n`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await demo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
