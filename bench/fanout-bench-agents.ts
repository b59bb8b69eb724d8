import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { agentTopic, encode } from '../shared/protocol/index.js';
import { verifyPayload } from '../shared/signing/control-signing.js';
import { parsePublicKey } from '../shared/signing/key-files.js';
import { leanAgent, type LeanAgent } from './lean-mqtt-agent.js';
import { bareReplyTopic, bareTopic } from './fanout-bench-bare.js';

/**
 * Lightweight simulated agents for the fanout benchmark, in their own process:
 * one MQTT connection per site; each reports a sample, then answers every
 * control with `accepted` when the signature verifies (else `rejected`). The
 * bare baseline's messages (fanout-bench-bare.ts) get one answer as well.
 */
export interface AgentsOptions {
  url: string;
  prefix: string;
  /** This process simulates sites [from, to). */
  from: number;
  to: number;
  publicKeyFile: string;
  /** Profile file name when asked to profile (one per process). */
  name: string;
}

function fetchJson(url: string, method: string, token: string, body?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(o: AgentsOptions): Promise<void> {
  const key = parsePublicKey(readFileSync(o.publicKeyFile, 'utf8'));
  const clients: LeanAgent[] = [];
  let accepted = 0;
  let rejected = 0;
  const arrivals: number[] = [];
  let controlBytes = 0;
  for (let i = o.from; i < o.to; i += 50) {
    // Connect in waves of 50 so the broker's accept queue is not flooded.
    const wave = await Promise.all(
      Array.from({ length: Math.min(50, o.to - i) }, async (_, k) => {
        const site = `${o.prefix}-s${i + k}`;
        const reportTopic = agentTopic(site, 'a1', 'control/report');
        const bare = bareTopic(o.prefix, i + k);
        const bareReply = bareReplyTopic(o.prefix, i + k);
        const t = encode('telemetry', site, 'a1', {
          v: 1, site, agent: 'a1', session: 1, seq: 1,
          samples: [{ ts: Date.now(), meterKw: 1000, meterKwh: null, minerKw: 980, counts: { hashing: 300, idle: 0, sleeping: 0, offline: 0, error: 0, total: 300 }, hashrateThs: 30000, revision: null }],
        });
        return leanAgent({
          url: o.url, clientId: `${site}-a1`, subscribe: [agentTopic(site, 'a1', 'control'), bare], hello: { topic: t.topic, payload: t.payload.toString('utf8') },
          onMessage(topic, payload, ack, agent) {
            if (topic === bare) {
              // The same work as for a control (parse, verify a signature: this one fails, no matter), one answer.
              const message = JSON.parse(payload.toString()) as Record<string, unknown>;
              verifyPayload(message, [key]);
              const answer = (status: string) => agent.publish(bareReply, JSON.stringify({ v: 1, site, agent: 'a1', revision: message.revision, status, ts: Date.now() }));
              agent.write([ack, answer('accepted')]);
              return;
            }
            arrivals.push(Date.now());
            controlBytes += payload.length;
            const control = JSON.parse(payload.toString()) as Record<string, unknown>;
            const revision = control.revision as number;
            // Lightweight: the reports are built directly (the collector validates them on arrival).
            const report = (status: 'accepted' | 'rejected', extra: Record<string, unknown> = {}) =>
              agent.publish(reportTopic, JSON.stringify({ v: 1, site, agent: 'a1', revision, status, ts: Date.now(), ...extra }));
            // The verdict alone, as hashwatt's agent sends it (docs/protocol.md, "Control reports"); PUBACK and verdict in one write.
            const verdict = verifyPayload(control, [key]).ok ? (accepted++, report('accepted')) : (rejected++, report('rejected', { reason: 'bad_signature' }));
            agent.write([ack, verdict]);
          },
        });
      }),
    );
    clients.push(...wave);
  }
  const cpu0 = process.cpuUsage();
  let roundCpu = cpu0;
  process.send?.({ ready: clients.length });
  let session: Session | undefined;
  process.on('message', async (m: { cmd: string; profileDir?: string; round?: number; url?: string; method?: string; token?: string; body?: string }) => {
    if (m.cmd === 'profile') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      return;
    }
    if (m.cmd === 'profile-stop' && session && m.profileDir) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(m.profileDir, m.round === undefined ? `fanout-${o.name}.cpuprofile` : `fanout-${o.name}-r${m.round}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      return;
    }
    if (m.cmd === 'post') {
      // The grid client's request, from this process: the client's own work (sending, reading
      // and parsing the answer with every target) is not the collector's CPU being measured.
      const t0 = Date.now();
      const res = await fetchJson(m.url!, m.method!, m.token!, m.body);
      process.send?.({ posted: true, t0, ms: Date.now() - t0, status: res.status, id: (res.body as { id?: string }).id, targets: ((res.body as { targets?: unknown[] }).targets ?? []).length, body: res.status >= 300 ? res.body : undefined });
      return;
    }
    if (m.cmd === 'round') {
      // One measured round is over: its arrivals and CPU, then a fresh count for the next.
      const cpu = process.cpuUsage(roundCpu);
      roundCpu = process.cpuUsage();
      process.send?.({ round: true, accepted, rejected, arrivals: arrivals.splice(0), controlBytes, cpuMs: (cpu.user + cpu.system) / 1000 });
      controlBytes = 0;
      accepted = 0;
      rejected = 0;
      return;
    }
    if (m.cmd !== 'stop') return;
    const cpu = process.cpuUsage(cpu0);
    if (session && m.profileDir) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(m.profileDir, `fanout-${o.name}.cpuprofile`), JSON.stringify(profile));
    }
    // Clear the retained controls so the shared Mosquitto does not keep them.
    clients.forEach((c, i) => c.write([c.publish(agentTopic(`${o.prefix}-s${o.from + i}`, 'a1', 'control'), Buffer.alloc(0), true)]));
    await Promise.all(clients.map((c) => c.end()));
    process.send?.({ stopped: true, accepted, rejected, arrivals, cpuMs: (cpu.user + cpu.system) / 1000 });
    process.exit(0);
  });
}

// Only when forked as the child itself, not when imported.
if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('disconnect', () => process.exit(1)); // the bench died: do not linger on the broker
  main(JSON.parse(process.argv[3]!) as AgentsOptions).catch((err: unknown) => {
    process.stderr.write(`agents failed: ${String(err)}\n`);
    process.exit(1);
  });
}
