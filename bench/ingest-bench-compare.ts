import type { IngestResult } from './ingest-bench.js';
import { emitJson, load, passThroughFlags, runForResult } from './bench-common.js';

/**
 * `ingest --compare` (or `--backends`): the nominal load through SQLite with one
 * collector, PostgreSQL with one and PostgreSQL with two in one share group, one
 * after the other, each in a fresh bench process on a fresh store, and one table
 * beside each other. Every configuration runs its collectors as `hashwatt
 * collector` processes, so the CPU and RSS columns measure the same thing.
 */
const PLAN: Array<{ store: 'sqlite' | 'postgres'; collectors: number }> = [
  { store: 'sqlite', collectors: 1 },
  { store: 'postgres', collectors: 1 },
  { store: 'postgres', collectors: 2 },
];

export async function runCompare(script: string, args: Map<string, string>): Promise<void> {
  const pass = passThroughFlags(args, ['compare', 'backends', 'store', 'collectors', 'collector-process', 'json']);
  if (!args.has('saturate-s')) pass.push('--saturate-s', '0');
  const runs: Array<{ name: string; result: IngestResult | null }> = [];
  for (const { store, collectors } of PLAN) {
    const name = `${store === 'sqlite' ? 'SQLite' : 'PostgreSQL'} × ${collectors}`;
    process.stdout.write(`\n--- ${name} (load average ${load().join(', ')}) ---\n`);
    runs.push({ name, result: runForResult<IngestResult>(script, [...pass, '--store', store, '--collectors', String(collectors), '--collector-process']) });
  }
  process.stdout.write(`\n${compareTable(runs)}\n`);
  await emitJson(args, { bench: 'ingest-compare', runs });
}

export function compareTable(runs: Array<{ name: string; result: IngestResult | null }>): string {
  const f = (x: number | null | undefined, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
  const rows: Array<[string, (r: IngestResult) => string]> = [
    ['warm-up: all acked after s', (r) => (r.warmup ? (r.warmup.acked === r.warmup.published ? f(r.warmup.settledS, 1) : `NO (${r.warmup.acked}/${r.warmup.published})`) : 'skipped')],
    ['offered messages/s', (r) => f(r.nominal.offeredMsgPerS)],
    ['stored messages/s', (r) => f(r.nominal.msgPerS)],
    ['miner rows/s', (r) => f(r.nominal.minerRowsPerS)],
    ['p50 publish→ack ms', (r) => f(r.nominal.p50)],
    ['p99 publish→ack ms', (r) => f(r.nominal.p99)],
    ['collector CPU % (sum)', (r) => f(r.nominal.cpuPct)],
    ['PostgreSQL backends CPU %', (r) => f(r.nominal.serverCpuPct)],
    ['collector RSS MB (sum)', (r) => f(r.nominal.rssMb)],
    ['disk MB/hour', (r) => f(r.nominal.diskMbPerHour)],
    ['stored once', (r) => `${yes(r.nominal.storedOnce)} (${r.nominal.check.logged}/${r.nominal.check.published})`],
    ['every seq acked', (r) => `${yes(r.nominal.acked)} (${r.nominal.check.acked}/${r.nominal.check.published})`],
    ['gaps recorded', (r) => String(r.nominal.gaps)],
    ['redeliveries ignored', (r) => String(r.nominal.check.duplicatesIgnored)],
    ['saturation messages/s', (r) => (r.saturation ? `${f(r.saturation.collector)} (${f(r.saturation.ratio, 2)} of bare)` : 'not run')],
    ['load average at start', (r) => r.load.join(' ')],
  ];
  const width = 29;
  const col = Math.max(22, ...runs.map((r) => r.name.length + 2));
  const first = runs.find((r) => r.result)?.result;
  const head = `== ingest: backends beside each other${first ? ` (${first.sites} sites × ${first.miners} miners, nominal load; collectors as separate processes)` : ''} ==`;
  const lines = [head, `${''.padEnd(width)}${runs.map((r) => r.name.padStart(col)).join('')}`];
  for (const [label, cell] of rows) lines.push(`${label.padEnd(width)}${runs.map((r) => (r.result ? cell(r.result) : 'failed').padStart(col)).join('')}`);
  return lines.join('\n');
}
