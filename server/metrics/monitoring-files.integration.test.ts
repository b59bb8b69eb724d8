import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { startTestCollector } from '../testing/test-collector.js';
import { sample, startTestPublisher } from '../testing/test-publisher.js';

/**
 * The shipped monitoring files: deploy/prometheus/alerts.yml passes promtool
 * (check and its unit tests), deploy/grafana/hashwatt.json has the structure
 * Grafana needs, every query in either parses as PromQL, and every metric
 * they name is one a running collector exports.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';

function promtoolOr(t: TestContext): boolean {
  if (existsSync(PROMTOOL)) return true;
  if (process.env.CI === 'true') assert.fail('promtool is missing (install the Debian package prometheus)');
  t.skip('promtool not installed (Debian package prometheus)');
  return false;
}

const Datasource = z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') });
const PanelSchema = z.object({
  id: z.number().int().positive(),
  type: z.enum(['timeseries', 'stat', 'bargauge', 'table', 'gauge']),
  title: z.string().min(1),
  datasource: Datasource,
  gridPos: z.object({ x: z.number().int().min(0).max(23), y: z.number().int().min(0), w: z.number().int().min(1).max(24), h: z.number().int().min(1) }).refine((g) => g.x + g.w <= 24, 'panel wider than the 24-column grid'),
  targets: z.array(z.object({ refId: z.string().regex(/^[A-Z]$/), datasource: Datasource, expr: z.string().min(1), legendFormat: z.string() })).min(1),
  fieldConfig: z.object({ defaults: z.object({ unit: z.string() }), overrides: z.array(z.unknown()) }),
});
const DashboardSchema = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(30),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
  panels: z.array(PanelSchema).min(1),
});

async function grafana() {
  return DashboardSchema.parse(JSON.parse(await readFile(join(root, 'deploy/grafana/hashwatt.json'), 'utf8')));
}

async function alertExprs(): Promise<string[]> {
  const doc = parse(await readFile(join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Metric names a query uses: identifiers starting with hashwatt_ (histogram series map to their base name). */
const metricNames = (expr: string) => [...expr.matchAll(/\bhashwatt_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));

test('alerts.yml: promtool check rules and promtool test rules pass', (t) => {
  if (!promtoolOr(t)) return;
  const dir = join(root, 'deploy/prometheus');
  for (const args of [['check', 'rules', 'alerts.yml'], ['test', 'rules', 'alerts.test.yml'], ['check', 'config', 'prometheus.yml']]) {
    const r = spawnSync(PROMTOOL, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
});

test('hashwatt.json: the panels a control room needs, laid out on the grid, unique ids, variables it uses are defined', async () => {
  const d = await grafana();
  const titles = d.panels.map((p) => p.title);
  for (const want of ['Fleet MW vs allocation', 'Per-site draw', 'Ingest rate', 'Ingest latency', 'Alerts open by kind']) assert.ok(titles.includes(want), `panel "${want}" in ${titles.join(', ')}`);
  assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, 'panel ids unique');
  for (const p of d.panels) assert.equal(new Set(p.targets.map((x) => x.refId)).size, p.targets.length, `refIds unique in ${p.title}`);
  // No two panels overlap.
  const cells = new Set<string>();
  for (const p of d.panels) {
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
  }
  const defined = new Set(d.templating.list.map((v) => v.name));
  const used = new Set([...JSON.stringify(d.panels).matchAll(/\$\{?([a-z_]+)/g)].map((m) => m[1]!).filter((n) => !n.startsWith('__')));
  for (const v of used) assert.ok(defined.has(v), `variable $${v} is defined`);
  const fleet = d.panels.find((p) => p.title === 'Fleet MW vs allocation')!;
  assert.deepEqual(fleet.targets.map((x) => metricNames(x.expr)[0]), ['hashwatt_fleet_power_megawatts', 'hashwatt_fleet_allocation_megawatts']);
  assert.equal(fleet.fieldConfig.defaults.unit, 'MW');
});

test('every Grafana and alert query parses as PromQL (promtool) and names only metrics the collector exports', async (t) => {
  const d = await grafana();
  const panelExprs = d.panels.flatMap((p) => p.targets.map((x) => x.expr));
  const exprs = [...panelExprs, ...(await alertExprs())];
  if (promtoolOr(t)) {
    // Grafana's variables as a dashboard would substitute them, then each query as a recording rule promtool parses.
    const concrete = (e: string) => e.replaceAll('$__rate_interval', '5m').replaceAll('$job', 'hashwatt-collector').replaceAll('$site', '.*');
    const dir = await mkdtemp(join(tmpdir(), 'hashwatt-promql-'));
    try {
      const rules = { groups: [{ name: 'grafana', rules: panelExprs.map((e, i) => ({ record: `hashwatt:panel_query_${i}`, expr: concrete(e) })) }] };
      await writeFile(join(dir, 'rules.yml'), JSON.stringify(rules));
      const r = spawnSync(PROMTOOL, ['check', 'rules', 'rules.yml'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const prefix = `mf${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const tc = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw: 1000 }], notifications: { webhooks: [{ name: 'ops', url: 'http://127.0.0.1:9/' }] } }, { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    await pub.telemetry(1, [sample(Date.now(), 750)]);
    let text = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      text = (await tc.api('/metrics', { token: null })).text;
      if (text.includes(`hashwatt_site_power_kilowatts{site="${site}"} 750`)) break;
    }
    assert.match(text, new RegExp(`hashwatt_site_power_kilowatts\\{site="${site}"\\} 750`));
    assert.match(text, new RegExp(`hashwatt_site_allocation_kilowatts\\{site="${site}"\\} 1000`));
    assert.match(text, /hashwatt_fleet_allocation_megawatts 1\b/);
    const exported = new Set([...text.matchAll(/^# TYPE (hashwatt_[a-z0-9_]+) /gm)].map((m) => m[1]!));
    const missing = [...new Set(exprs.flatMap(metricNames))].filter((n) => !exported.has(n));
    assert.deepEqual(missing, [], 'metrics named in the dashboard or alerts but not exported');
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
  }
});
