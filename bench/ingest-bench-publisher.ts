import mqtt, { type MqttClient } from 'mqtt';
import type { MinerDetail } from '../shared/protocol/index.js';

/**
 * The publishing side of the ingest benchmark, run in its own process so it does
 * not steal the collector's event loop: simulated agents for N sites, multiplexed
 * over a few MQTT connections, site samples every 10 s and per-miner detail every
 * 60 s (the reference load, docs/operations.md#sizing), or as fast as the broker takes them (saturation).
 */
export interface PublisherOptions {
  url: string;
  prefix: string;
  sites: number;
  minersPerSite: number;
  durationS: number;
  mode: 'nominal' | 'saturate';
  connections: number;
  session: number;
  /** Nominal mode: how long to wait for the last acks after publishing (default 15 s). */
  ackWaitS?: number;
}

export interface PublisherResult {
  published: number;
  publishedMiners: number;
  acked: number;
  latencyMs: { p50: number; p99: number; max: number } | null;
  elapsedS: number;
  /** From the first publish until every seq was acked (or the ack wait ran out). */
  settledS: number;
}

/** Connections that receive the acks, each subscribed to the ack topics of every ACK_CONNECTIONS-th site. */
const ACK_CONNECTIONS = 8;

function miners(n: number): MinerDetail[] {
  return Array.from({ length: n }, (_, j) => ({ id: `m${j}`, model: 'S19j Pro', firmware: 'stock', state: 'hashing', w: 3050.5 + j, powerSource: 'reported', ths: 104.2, jth: 29.3, tempC: 71.5 }));
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

export async function runPublisher(o: PublisherOptions): Promise<PublisherResult> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: o.connections }, (_, i) => mqtt.connectAsync(o.url, { clientId: `${o.prefix}-pub-${i}`, protocolVersion: 5, clean: true, reconnectPeriod: 0 })),
  );
  const seqs = new Uint32Array(o.sites);
  const lastTs = new Float64Array(o.sites);
  const pending: Array<Array<[number, number]>> = Array.from({ length: o.sites }, () => []);
  const latencies: number[] = [];
  let acked = 0;
  const sitePrefix = `hashwatt/v1/${o.prefix}-s`;
  // Acks come back on their own connections, each for a slice of the sites (as each real
  // agent hears only its own). One connection for all of them is not what agents do, and
  // Mosquitto drops a client's messages past max_queued_messages (1,000 by default) when
  // collectors ack a big batch at once: acks sent but never seen ("Outgoing messages are
  // being dropped" in its log).
  const ackClients: MqttClient[] = await Promise.all(
    Array.from({ length: ACK_CONNECTIONS }, (_, k) => mqtt.connectAsync(o.url, { clientId: `${o.prefix}-acks-${k}`, protocolVersion: 5, clean: true, reconnectPeriod: 0 })),
  );
  await Promise.all(ackClients.map(async (c, k) => {
    const filters: string[] = [];
    for (let i = k; i < o.sites; i += ACK_CONNECTIONS) filters.push(`${sitePrefix}${i}/a1/telemetry/ack`);
    for (let f = 0; f < filters.length; f += 500) await c.subscribeAsync(filters.slice(f, f + 500), { qos: 1 });
  }));
  const onAck = (topic: string, payload: Buffer) => {
    if (!topic.startsWith(sitePrefix)) return;
    const site = Number(topic.slice(sitePrefix.length, topic.indexOf('/', sitePrefix.length)));
    const ack = JSON.parse(payload.toString()) as { seq: number };
    const list = pending[site];
    if (!list) return;
    const now = performance.now();
    while (list.length && list[0]![0] <= ack.seq) {
      latencies.push(now - list.shift()![1]);
      acked++;
    }
  };
  for (const c of ackClients) c.on('message', onAck);
  const detail = miners(o.minersPerSite);
  let published = 0, publishedMiners = 0, rr = 0;
  const publish = (i: number, withMiners: boolean): Promise<unknown> => {
    const site = `${o.prefix}-s${i}`;
    const seq = ++seqs[i]!;
    // Strictly increasing per site, as a real agent's samples are: a sample and a detail
    // message of one site in the same millisecond would otherwise share the samples key
    // and the store would rightly keep one, which the stored-once check would count as lost.
    const ts = Math.max(Date.now(), lastTs[i]! + 1);
    lastTs[i] = ts;
    const kw = 300 + (i % 50);
    const body = {
      v: 1, site, agent: 'a1', session: o.session, seq,
      samples: [{ ts, meterKw: kw, meterKwh: 1000 + seq, minerKw: kw - 10, counts: { hashing: o.minersPerSite, idle: 0, sleeping: 0, offline: 0, error: 0, total: o.minersPerSite }, hashrateThs: o.minersPerSite * 104.2, revision: null }],
      ...(withMiners ? { miners: detail } : {}),
    };
    pending[i]!.push([seq, performance.now()]);
    published++;
    if (withMiners) publishedMiners += detail.length;
    const client = clients[rr++ % clients.length]!;
    return client.publishAsync(`hashwatt/v1/${site}/a1/telemetry`, JSON.stringify(body), { qos: 1 });
  };

  const start = performance.now();
  const end = start + o.durationS * 1000;
  if (o.mode === 'nominal') {
    // Every 100 ms: 1/100 of the sites send a sample, 1/600 send their miner detail.
    let tick = 0;
    let siteCursor = 0, detailCursor = 0;
    while (performance.now() < end) {
      const due = start + tick * 100;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const samples = Math.round(((tick + 1) * o.sites) / 100) - Math.round((tick * o.sites) / 100);
      const details = Math.round(((tick + 1) * o.sites) / 600) - Math.round((tick * o.sites) / 600);
      for (let k = 0; k < samples; k++) void publish(siteCursor++ % o.sites, false);
      for (let k = 0; k < details; k++) void publish(detailCursor++ % o.sites, true);
      tick++;
    }
  } else {
    // As fast as the broker acknowledges: windows of QoS 1 publishes per connection, the same 6:1 mix.
    let i = 0;
    while (performance.now() < end) {
      const window: Array<Promise<unknown>> = [];
      for (let k = 0; k < 200 * o.connections; k++, i++) window.push(publish(i % o.sites, i % 7 === 6));
      await Promise.all(window);
    }
  }
  const elapsedS = (performance.now() - start) / 1000;
  const deadline = performance.now() + (o.ackWaitS ?? 15) * 1000;
  while (o.mode === 'nominal' && acked < published && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const settledS = (performance.now() - start) / 1000;
  await Promise.all([...clients, ...ackClients].map((c) => c.endAsync()));
  latencies.sort((a, b) => a - b);
  return { published, publishedMiners, acked, elapsedS, settledS, latencyMs: latencies.length ? { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1]! } : null };
}

if (process.argv[2] === '--child') {
  const options = JSON.parse(process.argv[3]!) as PublisherOptions;
  runPublisher(options).then(
    (r) => {
      process.send?.(r);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`publisher failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
