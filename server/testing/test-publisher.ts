import type { MqttClient } from 'mqtt';
import { connectMqtt } from '../../shared/mqtt/connect.js';
import { agentTopic, encode, type Sample, type StateCounts, type TelemetryAck, type MinerDetail } from '../../shared/protocol/index.js';

/**
 * A stand-in agent that speaks the wire protocol over a real broker: publishes
 * state, birth and telemetry, records acks and controls. For collector tests
 * that must not wait on the real agent.
 */
export interface TestPublisher {
  client: MqttClient;
  acks: TelemetryAck[];
  controls: Array<Record<string, unknown>>;
  online(session?: number): Promise<void>;
  telemetry(seq: number, samples: Sample[], extra?: { session?: number; historical?: boolean; miners?: MinerDetail[] }): Promise<void>;
  raw(kind: 'telemetry' | 'state' | 'birth' | 'control/report', payload: string | Buffer): Promise<void>;
  report(revision: number, status: string, extra?: Record<string, unknown>): Promise<void>;
  clearRetained(): Promise<void>;
  close(): Promise<void>;
}

export function counts(hashing: number, sleeping = 0, extra: Partial<StateCounts> = {}): StateCounts {
  const c = { hashing, idle: 0, sleeping, offline: 0, error: 0, ...extra };
  return { ...c, total: c.hashing + c.idle + c.sleeping + c.offline + c.error };
}

export function sample(ts: number, kw: number, over: Partial<Sample> = {}): Sample {
  return { ts, meterKw: kw, meterKwh: null, minerKw: kw * 0.97, counts: counts(10), hashrateThs: kw * 0.3, revision: null, ...over };
}

export async function startTestPublisher(url: string, site: string, agent = 'a1', session = 1): Promise<TestPublisher> {
  const client = await connectMqtt({ url, clientId: `${site}-${agent}-${Math.random().toString(36).slice(2, 8)}` });
  const acks: TelemetryAck[] = [];
  const controls: Array<Record<string, unknown>> = [];
  await client.subscribeAsync([agentTopic(site, agent, 'telemetry/ack'), agentTopic(site, agent, 'control')], { qos: 1 });
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/telemetry/ack')) acks.push(JSON.parse(payload.toString()) as TelemetryAck);
    else if (payload.length > 0) controls.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  const send = async (m: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean }) => {
    await client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain });
  };
  return {
    client, acks, controls,
    async online(s = session) {
      await send(encode('state', site, agent, { v: 1, site, agent, online: true, session: s, ts: Date.now() }));
      await send(encode('birth', site, agent, {
        v: 1, site, agent, session: s, ts: Date.now(), agentVersion: 'test', agentClock: Date.now(),
        miners: { total: 10, byModel: [{ make: 'Bitmain', model: 'S19', firmware: 'stock', count: 10, nominalKw: 32 }] }, nameplateKw: 32,
        meter: { present: true }, curtail: { modes: ['max_kw', 'full', 'none'], strategies: ['least_efficient_first'], levels: ['sleep'], sleepCapable: 10, powerTargetCapable: 0 },
      }));
    },
    async telemetry(seq, samples, extra = {}) {
      await send(encode('telemetry', site, agent, { v: 1, site, agent, session: extra.session ?? session, seq, samples, ...(extra.historical ? { historical: true } : {}), ...(extra.miners ? { miners: extra.miners } : {}) }));
    },
    async raw(kind, payload) {
      await client.publishAsync(agentTopic(site, agent, kind), payload, { qos: 1 });
    },
    async report(revision, status, extra = {}) {
      await send(encode('control/report', site, agent, { v: 1, site, agent, revision, status: status as 'accepted', ts: Date.now(), ...extra }));
    },
    async clearRetained() {
      for (const kind of ['state', 'birth', 'control'] as const) await client.publishAsync(agentTopic(site, agent, kind), Buffer.alloc(0), { qos: 1, retain: true });
    },
    async close() {
      await client.endAsync();
    },
  };
}

/**
 * A publisher with a small outbox: every message stays until an ack covers it and
 * is sent again every `resendAfterMs` until then (what the agent does with its
 * `outbox.ackTimeoutMs`, scaled down for tests).
 */
export function withOutbox(p: TestPublisher, resendAfterMs = 1000) {
  const unacked = new Map<number, { ts: number; kw: number; sentAt: number }>();
  let seq = 0;
  p.client.on('message', (topic, payload) => {
    if (!topic.endsWith('/telemetry/ack')) return;
    const ack = JSON.parse(payload.toString()) as { seq: number };
    for (const s of unacked.keys()) if (s <= ack.seq) unacked.delete(s);
  });
  const resend = setInterval(() => {
    for (const [s, m] of unacked) {
      if (Date.now() - m.sentAt < resendAfterMs) continue;
      m.sentAt = Date.now();
      void p.telemetry(s, [sample(m.ts, m.kw)]).catch(() => undefined);
    }
  }, Math.min(300, resendAfterMs / 3));
  return {
    send(kw: number) {
      const s = ++seq;
      const m = { ts: Date.now() - 3_600_000 + s, kw, sentAt: Date.now() };
      unacked.set(s, m);
      void p.telemetry(s, [sample(m.ts, kw)]).catch(() => undefined);
      return s;
    },
    unacked: () => unacked.size,
    sent: () => seq,
    stop: () => clearInterval(resend),
  };
}
