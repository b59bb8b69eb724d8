import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DECODE_ERROR_REASONS } from '../../shared/protocol/codec.js';

/** Reject reasons beyond the codec's: a message that decoded but could not be stored. */
export const INGEST_REJECT_REASONS = [...DECODE_ERROR_REASONS, 'store_error'] as const;
export type IngestRejectReason = (typeof INGEST_REJECT_REASONS)[number];

/** Read at scrape time; the ones that ask the store are async. */
export interface LiveGauges {
  dbSizeBytes(): Promise<number>;
  sitesOnline(): number;
  sitesTotal(): Promise<number>;
  fleetKw(): number;
  violationsOpen(): number;
  agentsOnline(): number;
  /** Each site's current draw and allocation (per-site panels and alerts). */
  siteDraw(): Promise<Array<{ site: string; kw: number; allocationKw: number }>>;
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;

/** One Registry per collector (not prom-client's global one), so tests can run several collectors in one process. */
export function createCollectorMetrics(live: () => LiveGauges | undefined) {
  const registry = new Registry();
  // Our own process metrics: prom-client's defaults include gauges named *_total, which promtool's lint refuses.
  new Counter({ name: 'hashwatt_process_cpu_seconds_total', help: 'User and system CPU time of the collector process', registers: [registry], collect() {
    const u = process.cpuUsage();
    this.reset();
    this.inc((u.user + u.system) / 1e6);
  } });
  new Gauge({ name: 'hashwatt_process_resident_memory_bytes', help: 'Resident set size of the collector process', registers: [registry], collect() { this.set(process.memoryUsage.rss()); } });
  new Gauge({ name: 'hashwatt_process_heap_used_bytes', help: 'V8 heap in use', registers: [registry], collect() { this.set(process.memoryUsage().heapUsed); } });
  const messages = new Counter({ name: 'hashwatt_ingest_messages_total', help: 'MQTT messages accepted by the codec, by topic kind', labelNames: ['kind'], registers: [registry] });
  const samples = new Counter({ name: 'hashwatt_ingest_samples_total', help: 'Site samples stored', registers: [registry] });
  const minerRows = new Counter({ name: 'hashwatt_ingest_miner_rows_total', help: 'Per-miner detail rows upserted', registers: [registry] });
  const duplicates = new Counter({ name: 'hashwatt_ingest_duplicates_total', help: 'Telemetry messages already stored (redeliveries), ignored', registers: [registry] });
  const rejects = new Counter({ name: 'hashwatt_ingest_rejects_total', help: 'MQTT messages refused, by reason', labelNames: ['reason'], registers: [registry] });
  for (const reason of INGEST_REJECT_REASONS) rejects.inc({ reason }, 0);
  const gaps = new Counter({ name: 'hashwatt_telemetry_gaps_total', help: 'Telemetry sequence gaps given up on after the gap timeout', registers: [registry] });
  const commit = new Histogram({
    name: 'hashwatt_ingest_batch_commit_seconds', help: 'Time to write and commit one ingest batch', registers: [registry],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const batchSize = new Histogram({ name: 'hashwatt_ingest_batch_messages', help: 'Messages per ingest batch', registers: [registry], buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000] });
  const queueDepth = new Gauge({ name: 'hashwatt_ingest_queue_depth', help: 'Messages received and waiting for the next batch commit', registers: [registry] });
  const controls = new Counter({ name: 'hashwatt_controls_published_total', help: 'Signed control revisions published', registers: [registry] });
  const reports = new Counter({ name: 'hashwatt_control_reports_total', help: 'Control reports received, by status', labelNames: ['status'], registers: [registry] });
  let leading: () => boolean = () => false;
  new Gauge({ name: 'hashwatt_cluster_leader', help: '1 while this collector is the leader (events, alerts, webhooks, OpenADR and retention run there), else 0', registers: [registry], collect() { this.set(leading() ? 1 : 0); } });
  const gauge = (name: string, help: string, read: (g: LiveGauges) => number | Promise<number>) =>
    new Gauge({ name, help, registers: [registry], async collect() { const g = live(); this.set(g ? await read(g) : 0); } });
  gauge('hashwatt_db_size_bytes', 'Size of the SQLite database', (g) => g.dbSizeBytes());
  gauge('hashwatt_sites', 'Sites in the registry', (g) => g.sitesTotal());
  gauge('hashwatt_sites_online', 'Sites with an agent that reported recently', (g) => g.sitesOnline());
  gauge('hashwatt_agents_online', 'Agents online', (g) => g.agentsOnline());
  gauge('hashwatt_fleet_power_megawatts', 'Current draw of all sites', (g) => g.fleetKw() / 1000);
  gauge('hashwatt_violations_open', 'Open allocation violations', (g) => g.violationsOpen());
  gauge('hashwatt_fleet_allocation_megawatts', 'Sum of the allocations of registered sites', async (g) => (await g.siteDraw()).reduce((a, s) => a + s.allocationKw, 0) / 1000);
  // One series per site (10,000 sites is 20,000 series, within one Prometheus' comfort).
  const perSite = (name: string, help: string, read: (s: { kw: number; allocationKw: number }) => number) =>
    new Gauge({ name, help, labelNames: ['site'], registers: [registry], async collect() {
      const draw = (await live()?.siteDraw()) ?? [];
      this.reset();
      for (const s of draw) this.set({ site: s.site }, read(s));
    } });
  perSite('hashwatt_site_power_kilowatts', 'Current draw of a site (meter, else miner sum)', (s) => s.kw);
  perSite('hashwatt_site_allocation_kilowatts', 'Allocation of a site', (s) => s.allocationKw);
  return {
    /** Where the leader gauge reads from (the election, once the collector started). */
    leader(isLeader: () => boolean): void {
      leading = isLeader;
    },
    registry, messages, samples, minerRows, duplicates, rejects, gaps, commit, batchSize, queueDepth, controls, reports };
}
