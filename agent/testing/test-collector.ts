import mqtt, { type MqttClient } from 'mqtt';
import { agentTopic, type ControlReport, type Telemetry } from '../../shared/protocol/index.js';

/**
 * Plays the collector in agent integration tests: subscribes to one agent's
 * topics over the real broker, records telemetry and reports, and acks the
 * contiguous prefix of each session it has "committed", as the collector does.
 */
export interface TestCollector {
  telemetry: Telemetry[];
  reports: ControlReport[];
  states: Array<{ online: boolean; session: number }>;
  births: unknown[];
  acking: boolean;
  publishRetained(kind: 'control', payload: unknown): Promise<void>;
  publishCollectorState(online: boolean): Promise<void>;
  /** Distinct (session, seq) seen (telemetry and reports), with how often each arrived. */
  received(): Map<string, number>;
  stop(): Promise<void>;
}

export async function startTestCollector(url: string, site: string, agent: string): Promise<TestCollector> {
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 200 });
  const committed = new Map<number, Set<number>>();
  const high = new Map<number, number>();
  const counts = new Map<string, number>();
  const c: TestCollector = {
    telemetry: [],
    reports: [],
    states: [],
    births: [],
    acking: true,
    async publishRetained(kind, payload) {
      await client.publishAsync(agentTopic(site, agent, kind), JSON.stringify(payload), { qos: 1, retain: true });
    },
    async publishCollectorState(online) {
      await client.publishAsync('hashwatt/v1/_collector/state', JSON.stringify({ v: 1, online, ts: Date.now() }), { qos: 1, retain: false });
    },
    received: () => counts,
    async stop() {
      // Leave nothing retained on a shared Mosquitto.
      for (const kind of ['control', 'state', 'birth'] as const) await client.publishAsync(agentTopic(site, agent, kind), '', { qos: 1, retain: true });
      await client.endAsync();
    },
  };
  /** Counts a (session, seq) as committed and acks the contiguous prefix; false for a redelivery. */
  function commit(session: number, seq: number): boolean {
    const key = `${session}:${seq}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    const seen = committed.get(session) ?? new Set<number>();
    seen.add(seq);
    committed.set(session, seen);
    let h = high.get(session) ?? 0;
    while (seen.has(h + 1)) h++;
    high.set(session, h);
    if (c.acking && h > 0) void client.publishAsync(agentTopic(site, agent, 'telemetry/ack'), JSON.stringify({ v: 1, session, seq: h }), { qos: 1 });
    return n === 0;
  }
  client.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    const body = JSON.parse(payload.toString('utf8'));
    if (topic.endsWith('/telemetry')) {
      const t = body as Telemetry;
      c.telemetry.push(t);
      commit(t.session, t.seq);
    } else if (topic.endsWith('/control/report')) {
      const r = body as ControlReport;
      // Reports share the telemetry sequence (docs/protocol.md#controlreport): acked the same way, a replay recorded once.
      if (r.seq === undefined || r.session === undefined || commit(r.session, r.seq)) c.reports.push(r);
    } else if (topic.endsWith('/state')) c.states.push(body);
    else if (topic.endsWith('/birth')) c.births.push(body);
  });
  await client.subscribeAsync(`hashwatt/v1/${site}/${agent}/#`, { qos: 1 });
  return c;
}
