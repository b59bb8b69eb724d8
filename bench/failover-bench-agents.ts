import { readFileSync } from 'node:fs';
import { agentTopic, encode } from '../shared/protocol/index.js';
import { verifyPayload } from '../shared/signing/control-signing.js';
import { parsePublicKey } from '../shared/signing/key-files.js';
import type { ControlArrival } from '../test/chaos/control-revisions.js';
import { leanAgent, type LeanAgent } from './lean-mqtt-agent.js';

/**
 * The fail-over benchmark's agents, in their own process: one MQTT connection
 * per site, with the durability rules of a real agent kept (docs/protocol.md,
 * sessions and acknowledgements) and nothing else:
 * - telemetry every `periodMs`, and each control report, take the next seq of
 *   the session and are sent again every `resendMs` until a telemetry/ack covers
 *   them (what an agent's outbox does), so a collector killed with messages in
 *   flight costs a delay, not data;
 * - every control is recorded as it came off the broker (for the revision
 *   check), answered with `accepted` once its signature verifies (or `rejected`).
 */
export interface FailoverAgentsOptions {
  url: string;
  prefix: string;
  sites: number;
  publicKeyFile: string;
  periodMs: number;
  resendMs: number;
}

/** Sent to the parent: where the agents stand. */
export interface AgentsStatus {
  /** Per site index: revision and mode of the newest control (null before any). */
  latest: Array<{ revision: number; mode: string } | null>;
  /** Messages (telemetry and reports) made, still unacknowledged, and sent again. */
  made: number;
  pending: number;
  resent: number;
}

/** Sent to the parent at the end: every control as it arrived, and each site's highest seq. */
export interface AgentsFinal extends AgentsStatus {
  arrivals: ControlArrival[];
  session: number;
  highestSeq: number[];
}

const SESSION = 1;

interface SiteState {
  site: string;
  seq: number;
  /** seq → the PUBLISH packet and when it was last sent. */
  unacked: Map<number, { packet: Buffer; sentAt: number }>;
  latest: { revision: number; mode: string } | null;
}

async function main(o: FailoverAgentsOptions): Promise<void> {
  const key = parsePublicKey(readFileSync(o.publicKeyFile, 'utf8'));
  const states: SiteState[] = Array.from({ length: o.sites }, (_, i) => ({ site: `${o.prefix}-s${i}`, seq: 0, unacked: new Map(), latest: null }));
  const agents: LeanAgent[] = [];
  const arrivals: ControlArrival[] = [];
  let made = 0;
  let resent = 0;
  let producing = true;
  let armed: { count: number } | undefined;

  const telemetry = (s: SiteState) => encode('telemetry', s.site, 'a1', {
    v: 1, site: s.site, agent: 'a1', session: SESSION, seq: ++s.seq,
    samples: [{ ts: Date.now(), meterKw: 1000, meterKwh: null, minerKw: 980, counts: { hashing: 300, idle: 0, sleeping: 0, offline: 0, error: 0, total: 300 }, hashrateThs: 30000, revision: s.latest?.revision ?? null }],
  });
  /** Builds a sequenced PUBLISH and keeps it until acknowledged. */
  const sequenced = (s: SiteState, agent: LeanAgent, topic: string, payload: string): Buffer => {
    const packet = agent.publish(topic, payload);
    s.unacked.set(s.seq, { packet, sentAt: Date.now() });
    made++;
    return packet;
  };

  for (let i = 0; i < o.sites; i += 50) {
    // Connect in waves of 50 so the broker's accept queue is not flooded.
    const wave = await Promise.all(Array.from({ length: Math.min(50, o.sites - i) }, (_, k) => {
      const s = states[i + k]!;
      const hello = telemetry(s);
      const reportTopic = agentTopic(s.site, 'a1', 'control/report');
      return leanAgent({
        url: o.url, clientId: `${s.site}-a1`,
        subscribe: [agentTopic(s.site, 'a1', 'control'), agentTopic(s.site, 'a1', 'telemetry/ack')],
        hello: { topic: hello.topic, payload: hello.payload.toString('utf8') },
        onMessage(topic, payload, ack, agent) {
          if (topic.endsWith('/telemetry/ack')) {
            const { session, seq } = JSON.parse(payload.toString()) as { session: number; seq: number };
            if (session === SESSION) for (const n of s.unacked.keys()) if (n <= seq) s.unacked.delete(n);
            agent.write([ack]);
            return;
          }
          const text = payload.toString();
          const control = JSON.parse(text) as { revision: number; mode: string };
          arrivals.push({ site: s.site, revision: control.revision, payload: text });
          const report = (status: 'accepted' | 'rejected', extra: Record<string, unknown> = {}) => {
            s.seq++;
            return sequenced(s, agent, reportTopic, JSON.stringify({ v: 1, site: s.site, agent: 'a1', revision: control.revision, status, ts: Date.now(), session: SESSION, seq: s.seq, ...extra }));
          };
          const ok = verifyPayload(control as unknown as Record<string, unknown>, [key]).ok;
          const verdict = ok ? report('accepted') : report('rejected', { reason: 'bad_signature' });
          if (ok && (s.latest === null || control.revision > s.latest.revision)) s.latest = { revision: control.revision, mode: control.mode };
          agent.write([ack, verdict]);
          if (armed && states.filter((x) => x.latest && x.latest.mode !== 'none').length >= armed.count) {
            armed = undefined;
            process.send?.({ threshold: true });
          }
        },
      }).then((agent) => {
        // The hello (seq 1) was acknowledged by the broker, not yet by a collector: keep it.
        s.unacked.set(1, { packet: agent.publish(hello.topic, hello.payload), sentAt: Date.now() });
        made++;
        return agent;
      });
    }));
    agents.push(...wave);
  }

  // Telemetry spread evenly: a tenth of the period's sites every periodMs / 10; the same pass
  // sends again what no ack has covered for resendMs.
  const slices = 10;
  let slice = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    for (let i = slice; i < o.sites; i += slices) {
      const s = states[i]!;
      const agent = agents[i]!;
      const out: Buffer[] = [];
      for (const m of s.unacked.values()) {
        if (now - m.sentAt < o.resendMs) continue;
        m.sentAt = now;
        resent++;
        out.push(m.packet);
      }
      if (producing) {
        const t = telemetry(s);
        out.push(sequenced(s, agent, t.topic, t.payload.toString('utf8')));
      }
      if (out.length > 0) agent.write(out);
    }
    slice = (slice + 1) % slices;
  }, o.periodMs / slices);

  const status = (): AgentsStatus => ({
    latest: states.map((s) => s.latest), made, resent,
    pending: states.reduce((n, s) => n + s.unacked.size, 0),
  });
  process.send?.({ ready: agents.length });
  process.on('message', async (m: { cmd: string; count?: number }) => {
    if (m.cmd === 'status') process.send?.({ status: status() });
    if (m.cmd === 'arm') armed = { count: m.count! };
    if (m.cmd === 'stop-producing') producing = false;
    if (m.cmd !== 'stop') return;
    clearInterval(timer);
    const final: AgentsFinal = { ...status(), arrivals, session: SESSION, highestSeq: states.map((s) => s.seq) };
    // Clear the retained controls so the shared Mosquitto does not keep them.
    agents.forEach((a, i) => a.write([a.publish(agentTopic(states[i]!.site, 'a1', 'control'), Buffer.alloc(0), true)]));
    await Promise.all(agents.map((a) => a.end()));
    process.send?.({ final }, () => process.exit(0));
  });
}

if (process.argv[2] === '--child') {
  main(JSON.parse(process.argv[3]!) as FailoverAgentsOptions).catch((err: unknown) => {
    process.stderr.write(`failover agents failed: ${String(err)}\n`);
    process.exit(1);
  });
}
