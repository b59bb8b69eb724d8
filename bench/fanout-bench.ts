import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../shared/log/logger.js';
import { writeKeyPair } from '../shared/signing/key-files.js';
import { CollectorConfigSchema } from '../server/config/collector-config.js';
import { hashToken } from '../server/http/auth.js';
import { createCollector } from '../server/main.js';
import { startEmbeddedBroker } from '../server/broker/embedded-broker.js';

/**
 * npm run bench -- fanout [--sites 1000] [--agent-procs 1] [--url mqtt://127.0.0.1:1883] [--profile DIR]
 *
 * One curtailment event over every site with a connected (lightweight) agent:
 * time from POST /api/v1/events to each site's `accepted` report committed at
 * the collector; p50/p99/max. Target p99 ≤ 500 ms.
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const SITES = Number(args.get('sites') ?? 1000);
const AGENT_PROCS = Math.max(1, Number(args.get('agent-procs') ?? 1));
const agentsPath = fileURLToPath(new URL('./fanout-bench-agents.js', import.meta.url));

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port || 1883) });
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function nextMessage<T>(child: ChildProcess, pick: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: unknown) => {
      if (pick(m as Record<string, unknown>)) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`agents process exited ${code}`)));
  });
}

function postJson(url: string, token: string, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;

async function main(): Promise<void> {
  let url = args.get('url') ?? 'mqtt://127.0.0.1:1883';
  let embedded: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined;
  if (!(await reachable(url))) {
    embedded = await startEmbeddedBroker({ port: 0, log: createLogger({ level: 'warn' }) });
    process.stdout.write(`Mosquitto not reachable at ${url}; using the embedded broker at ${embedded.url}\n`);
    url = embedded.url;
  }
  const prefix = `f${Date.now().toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-fanout-bench-'));
  const keys = await writeKeyPair(join(dir, 'keys'));
  const token = 'fanout-bench-grid-token';
  const siteIds = Array.from({ length: SITES }, (_, i) => `${prefix}-s${i}`);
  const config = CollectorConfigSchema.parse({
    broker: { url, clientId: `${prefix}-collector` },
    dataDir: dir,
    signing: { privateKeyFile: keys.privateKeyPath, publicKeyFile: keys.publicKeyPath },
    http: { host: '127.0.0.1', port: 0 },
    tokens: [{ name: 'grid', role: 'grid', sha256: hashToken(token) }],
    // Only our sites: the shared Mosquitto carries other engineers' tests and benches, whose
    // agents would otherwise become (unregistered) sites of this event.
    ingest: { clientId: `${prefix}-collector`, sessionExpiryS: 60, flushMs: 20, sites: siteIds },
    sites: Array.from({ length: SITES }, (_, i) => ({ id: `${prefix}-s${i}`, name: `Site ${i}`, allocationKw: 1200, tier: 1, registered: i % 10 !== 0 })),
  });
  const collector = createCollector({ config, log: createLogger({ level: 'warn' }) });
  await collector.start();

  // The agents are 1,000 machines in reality; --agent-procs spreads them over processes. On the
  // 2-core reference machine two processes measured slower (more contention, ~+250 ms CPU), so 1.
  const children = Array.from({ length: AGENT_PROCS }, (_, k) => {
    const from = Math.floor((k * SITES) / AGENT_PROCS);
    const to = Math.floor(((k + 1) * SITES) / AGENT_PROCS);
    return fork(agentsPath, ['--child', JSON.stringify({ url, prefix, from, to, publicKeyFile: keys.publicKeyPath, name: `agents-${k}` })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
  const t0c = performance.now();
  await Promise.all(children.map((child) => nextMessage(child, (m) => 'ready' in m)));
  process.stdout.write(`fanout bench: ${SITES} agents connected in ${((performance.now() - t0c) / 1000).toFixed(1)} s (broker ${url})\n`);
  const siteCount = () => (collector.db.prepare("SELECT COUNT(*) AS n FROM agents WHERE sample_ts IS NOT NULL").get() as { n: number }).n;
  for (let i = 0; i < 200 && siteCount() < SITES; i++) await new Promise((r) => setTimeout(r, 50));

  // --profile DIR: CPU profiles of the measured window only (collector and agents), for DevTools.
  const profileDir = args.get('profile');
  const session = profileDir ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    for (const child of children) child.send({ cmd: 'profile' });
  }
  // The grid client's POST with node:http (already loaded by the collector's server): undici,
  // fetch's client, loads lazily on first use and cost the collector's thread ~25 ms here.
  const body = JSON.stringify({ scope: { all: true }, kind: 'reduce_by_kw', value: SITES * 1000 * 0.3, durationS: 600, priority: 'high', reason: 'fanout bench' });
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const res = await postJson(`${collector.httpUrl}/api/v1/events`, token, body);
  const postMs = Date.now() - t0;
  const event = res.body as { id: string; targets: unknown[] };
  if (res.status !== 201) throw new Error(`POST /events answered ${res.status}: ${JSON.stringify(event)}`);
  // The wait polls a cheap indexed count (the measurement must not load the collector it
  // measures); the per-site times come from the stored reports' received_at afterwards.
  const acceptedCount = collector.db.prepare<[number], { n: number }>("SELECT COUNT(DISTINCT site_id) AS n FROM control_reports WHERE status = 'accepted' AND received_at >= ?");
  const targets = event.targets.length;
  const deadline = Date.now() + 30_000;
  while (acceptedCount.get(t0)!.n < targets && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const rows = collector.db.prepare("SELECT site_id, MIN(received_at) AS t FROM control_reports WHERE status = 'accepted' AND received_at >= ? GROUP BY site_id").all(t0) as Array<{ t: number }>;
  const lat = rows.map((r) => r.t - t0).sort((a, b) => a - b);
  // The collector's own part: each site's control acknowledged by the broker (PUBACK).
  const onBroker = (collector.db.prepare('SELECT published_at AS t FROM controls WHERE published_at >= ?').all(t0) as Array<{ t: number }>).map((r) => r.t - t0).sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  const collectorCpuMs = (cpu.user + cpu.system) / 1000;
  if (session && profileDir) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(profileDir, 'fanout-collector.cpuprofile'), JSON.stringify(profile));
    session.disconnect();
  }
  const parts = await Promise.all(children.map((child) => {
    const p = nextMessage<{ accepted: number; rejected: number; arrivals: number[]; cpuMs: number }>(child, (m) => 'stopped' in m);
    child.send({ cmd: 'stop', ...(profileDir ? { profileDir } : {}) });
    return p;
  }));
  const stopped = {
    accepted: parts.reduce((a, p) => a + p.accepted, 0), rejected: parts.reduce((a, p) => a + p.rejected, 0),
    arrivals: parts.flatMap((p) => p.arrivals), cpuMs: parts.reduce((a, p) => a + p.cpuMs, 0),
  };
  const delivered = stopped.arrivals.map((t) => t - t0).sort((x, y) => x - y);
  await collector.stop();
  if (embedded) await embedded.stop();
  await rm(dir, { recursive: true, force: true });
  process.stdout.write([
    `event over ${targets} site targets; POST answered in ${postMs} ms (plan, sign, persist, publish)`,
    `accepted reports at the collector: ${lat.length}/${targets}; agents verified ${stopped.accepted}, refused ${stopped.rejected}`,
    `CPU: collector ${collectorCpuMs.toFixed(0)} ms, simulated agents ${stopped.cpuMs.toFixed(0)} ms in ${AGENT_PROCS} processes (from the POST until every accepted report)`,
    `POST → control on the broker (PUBACK to the collector): p50 ${pct(onBroker, 50)} ms, p99 ${pct(onBroker, 99)} ms (${onBroker.length} sites)`,
    `POST → control at the agent: p50 ${pct(delivered, 50)} ms, p99 ${pct(delivered, 99)} ms`,
    `POST → accepted: p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${lat[lat.length - 1]} ms`,
    `target p99 ≤ 500 ms: ${pct(lat, 99) <= 500 && lat.length === targets ? 'met' : 'MISSED'}`,
  ].join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`fanout bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
