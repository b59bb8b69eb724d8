import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect } from '../test/helpers/mosquitto.js';

/**
 * What every benchmark shares: `--name value` flags, the load average beside
 * every figure (this machine is shared; a figure without it cannot be judged),
 * a machine-readable result for `bench report`, and `--sweep`, which runs the
 * same benchmark once per size in a fresh process (no warm state carried over).
 */
export function parseFlags(argv = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, '');
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) args.set(key, 'true');
    else {
      args.set(key, next);
      i++;
    }
  }
  return args;
}

/** 1-, 5- and 15-minute load averages, rounded for printing. */
export function load(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [Math.round(a! * 100) / 100, Math.round(b! * 100) / 100, Math.round(c! * 100) / 100];
}

export const pct = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** Writes the result for `bench report` when --json FILE was given. */
export async function emitJson(args: Map<string, string>, result: unknown): Promise<void> {
  const file = args.get('json');
  if (!file) return;
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * Runs `script` once per size (a fresh process each, output shown as it runs)
 * with `--<sizeFlag> <size> --json <tmp>` and returns each run's JSON result.
 */
/**
 * Runs a benchmark script in a fresh process (output shown as it runs) and returns
 * the result it wrote with --json, or null when it failed.
 */
export function runForResult<T>(script: string, flags: string[]): T | null {
  const file = join(tmpdir(), `hashwatt-bench-${process.pid}-${Date.now().toString(36)}.json`);
  const r = spawnSync(process.execPath, [script, ...flags, '--json', file], { stdio: 'inherit' });
  try {
    return r.status === 0 ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
}

export function sweep<T>(script: string, sizeFlag: string, sizes: number[], passThrough: string[]): Array<{ size: number; result: T | null }> {
  const out: Array<{ size: number; result: T | null }> = [];
  for (const size of sizes) {
    process.stdout.write(`\n--- ${sizeFlag} ${size} (load average ${load().join(', ')}) ---\n`);
    out.push({ size, result: runForResult<T>(script, [...passThrough, `--${sizeFlag}`, String(size)]) });
  }
  return out;
}

/** Flags of this run minus the ones a sweep sets itself. */
export function passThroughFlags(args: Map<string, string>, drop: string[]): string[] {
  return [...args].filter(([k]) => !drop.includes(k)).flatMap(([k, v]) => (v === 'true' ? [`--${k}`] : [`--${k}`, v]));
}

/**
 * How a cost grows with size: the exponent b of cost ∝ size^b fitted over the
 * first and last point (1 is linear, above 1 worse than linear), in words.
 */
export function growth(points: Array<{ size: number; value: number }>): string {
  const ok = points.filter((p) => Number.isFinite(p.value) && p.value > 0);
  if (ok.length < 2) return 'not enough points';
  const a = ok[0]!;
  const b = ok[ok.length - 1]!;
  const k = Math.log(b.value / a.value) / Math.log(b.size / a.size);
  const word = k < 0.2 ? 'flat' : k < 0.8 ? 'sublinear' : k <= 1.2 ? 'linear' : 'worse than linear';
  return `${word} (cost ∝ size^${k.toFixed(2)} from ${a.size} to ${b.size})`;
}

/** Whether an MQTT broker accepts connections at `url` (benchmarks fall back or stop with a reason when not). */
export function brokerReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return canConnect(hostname, Number(port || 1883));
}
