// One site: kW chart over a chosen range with the allocation line and
// curtailment periods shaded, ASIC counts by state, and the per-miner table
// sortable by efficiency, power, temperature and state.

import { get, list } from '../api.js';
import { powerChart } from '../chart.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { COMPLIANCE_LABEL, STATES, eventOf, minerOf, siteOf } from '../model.js';
import { keepFresh } from '../refresh.js';
import { sortableTable } from '../sortable-table.js';
import { siteSettingsPanel, termsPanel } from './site-settings.js';

const RANGES = [
  { id: '15m', label: '15 min', seconds: 900 },
  { id: '1h', label: '1 h', seconds: 3600 },
  { id: '6h', label: '6 h', seconds: 6 * 3600 },
  { id: '24h', label: '24 h', seconds: 86_400 },
  { id: '7d', label: '7 days', seconds: 7 * 86_400 },
];

const STATE_ORDER = Object.fromEntries(STATES.map((s, i) => [s, i]));

export function mount(container, ctx) {
  const siteId = ctx.params[0];
  let range = RANGES[0];
  const title = h('h1', { 'data-testid': 'site-title' }, siteId);
  const badges = h('div', { class: 'badges' });
  const stats = h('dl', { class: 'stats', 'data-testid': 'site-stats' });
  const counts = h('ul', { class: 'counts', 'data-testid': 'state-counts', 'aria-label': 'ASICs by state' });
  const chartBox = h('div', { class: 'chart', 'data-testid': 'site-chart' });
  const chartNote = h('p', { class: 'muted small' }, 'Shaded: curtailment in force. Dashed red: allocation.');
  const rangeButtons = RANGES.map((r) => h('button', { type: 'button', class: 'seg', 'aria-pressed': String(r === range), 'data-range': r.id, onclick: () => {
    range = r;
    for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === r.id));
    seriesFresh.now();
  } }, r.label));

  const table = sortableTable({
    testid: 'miner-table',
    caption: 'Miners',
    rowKey: (m) => m.id,
    initialSort: { key: 'jth', dir: 'desc' },
    columns: [
      { key: 'id', label: 'Miner', value: (m) => m.id, render: (m) => m.id },
      { key: 'model', label: 'Model', value: (m) => m.model, render: (m) => m.model },
      { key: 'firmware', label: 'Firmware', value: (m) => m.firmware, render: (m) => m.firmware },
      { key: 'state', label: 'State', value: (m) => STATE_ORDER[m.state] ?? 9, render: (m) => h('span', { class: `state s-${m.state}` }, m.asleepByAgent && m.state === 'sleeping' ? 'sleeping (curtailed)' : m.state) },
      { key: 'power', label: 'Power', numeric: true, value: (m) => m.powerW, render: (m) => `${f.watts(m.powerW)}${m.powerSource === 'estimated' ? ' (est.)' : ''}` },
      { key: 'hashrate', label: 'Hashrate', numeric: true, value: (m) => m.hashrateThs, render: (m) => f.hashrate(m.hashrateThs) },
      { key: 'jth', label: 'Efficiency', numeric: true, value: (m) => m.efficiencyJth, render: (m) => f.jth(m.efficiencyJth) },
      { key: 'temp', label: 'Max temp', numeric: true, value: (m) => m.maxTempC, render: (m) => f.temp(m.maxTempC) },
      { key: 'seen', label: 'Read', value: (m) => f.toMs(m.ts), render: (m) => f.ago(m.ts) },
    ],
  });

  container.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Overview'), ' / ', siteId),
    h('div', { class: 'page-head' }, title, badges),
    stats,
    h('section', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', {}, 'Power'), h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' }, rangeButtons)),
      chartBox, chartNote),
    h('section', { class: 'panel' }, h('h2', {}, 'ASICs by state'), counts),
    h('section', { class: 'panel' }, h('h2', {}, 'Miners'), table.el),
  );
  // Operators and grid dispatchers manage the site; the API refuses viewers anyway.
  const settings = ctx.canCurtail ? siteSettingsPanel(siteId, () => siteFresh.now()) : null;
  if (settings) container.append(settings.el);
  else container.append(termsPanel(siteId).el);
  const chart = powerChart(chartBox);
  let site = null;

  const loadSite = async () => {
    const body = await get(`/sites/${encodeURIComponent(siteId)}`);
    site = siteOf(body.site ?? body);
    setText(title, site.name);
    setChildren(badges,
      h('span', { class: `chip c-${site.compliance}`, 'data-testid': 'site-compliance' }, COMPLIANCE_LABEL[site.compliance] ?? site.compliance),
      h('span', { class: 'chip' }, site.registered ? `registered · tier ${site.tier ?? '—'}` : 'unregistered'),
      site.region ? h('span', { class: 'chip', 'data-testid': 'site-region', title: site.regionDeclared ? 'declared by the site\'s agent, not verified' : '' }, site.regionDeclared ? `${site.region} (declared)` : site.region) : null,
      site.company ? h('span', { class: 'chip' }, site.company) : null);
    settings?.update(site);
    const rows = [
      ['Draw now', f.power(site.kw), 'site-kw'],
      ['Allocation', site.registered ? f.power(site.allocationKw) : 'none'],
      ['Hard cap', f.isNum(site.hardCapKw) ? f.power(site.hardCapKw) : 'none'],
      ['Tariff', f.tariff(site.tariffPerKwh), 'site-tariff'],
      ['Rolling average', f.power(site.averageKw)],
      ['Meter', f.power(site.meterKw)],
      ['Miners (sum)', f.power(site.minerKw)],
      ['Hashrate', f.hashrate(site.hashrateThs)],
      ['Agents online', `${site.agentsOnline} / ${site.agentsTotal}`],
      ['Last sample', f.ago(site.lastSampleAt)],
    ];
    setChildren(stats, rows.map(([k, v, id]) => h('div', {}, h('dt', {}, k), h('dd', { 'data-testid': id ?? null, class: 'num' }, v))));
    setChildren(counts, [...STATES, 'total'].map((s) => h('li', { class: `s-${s}`, 'data-state': s }, h('span', { class: 'count num' }, f.int(site.counts[s])), h('span', { class: 'label' }, s))));
  };

  const loadSeries = async () => {
    const to = Math.floor(Date.now() / 1000);
    const from = to - range.seconds;
    const [seriesBody, eventsBody] = await Promise.all([
      get(`/sites/${encodeURIComponent(siteId)}/series`, { from: from * 1000, to: to * 1000 }),
      get('/events', { limit: 200 }),
    ]);
    const points = seriesPoints(seriesBody).filter((p) => p.t >= from && p.t <= to);
    chart.update(points, site?.registered ? site.allocationKw : null, curtailedPeriods(seriesBody, eventsBody, siteId, to), { from, to });
  };

  const loadMiners = async () => {
    table.setRows(list(await get(`/sites/${encodeURIComponent(siteId)}/miners`, { limit: 5000 }), 'miners').map(minerOf));
  };

  // Only this site's updates (and events, which may shade its chart) refetch.
  const mine = (data, type) => type !== 'site' || data?.id === siteId;
  const types = ['site', 'event', 'violation', 'open'];
  const siteFresh = keepFresh(loadSite, { types, when: mine, minIntervalMs: 1000 });
  const seriesFresh = keepFresh(loadSeries, { types, when: mine, minIntervalMs: 2000 });
  const minerFresh = keepFresh(loadMiners, { types: ['site', 'open'], when: mine, minIntervalMs: 5000 });
  return () => {
    siteFresh.stop();
    seriesFresh.stop();
    minerFresh.stop();
    chart.destroy();
  };
}

/** {points: [{ts (ms), kw, minerKw}]} → [{t (s), kw, minerKw}] for uPlot. */
function seriesPoints(body) {
  return list(body, 'points')
    .map((r) => ({ t: f.toMs(r.ts) / 1000, kw: r.kw ?? null, minerKw: r.minerKw ?? null }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
}

/** Periods in seconds when an event targeted this site. */
function curtailedPeriods(_seriesBody, eventsBody, siteId, now) {
  return list(eventsBody, 'events').map(eventOf)
    .filter((e) => e.targets.some((t) => t.site === siteId))
    .map((e) => {
      const start = f.toMs(e.start) ?? f.toMs(e.createdAt);
      const ended = Math.min(f.toMs(e.endedAt) ?? Infinity, f.toMs(e.end) ?? Infinity);
      return { from: start / 1000, to: Math.min(now, ended / 1000) };
    })
    .filter((p) => Number.isFinite(p.from) && p.to > p.from);
}
