// Energy and fees: kWh and fee per site over a date range (integrated by the
// collector from samples or meter counters), with a CSV download.

import { download, get, list } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { keepFresh } from '../refresh.js';
import { sortableTable } from '../sortable-table.js';

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

export function mount(container) {
  const today = Date.now();
  const from = h('input', { id: 'en-from', type: 'date', value: day(today - 6 * 86_400_000), max: day(today) });
  const to = h('input', { id: 'en-to', type: 'date', value: day(today), max: day(today) });
  const totals = h('p', { 'data-testid': 'energy-totals' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const table = sortableTable({
    testid: 'energy-table',
    caption: 'Energy per site',
    rowKey: (r) => r.site,
    initialSort: { key: 'kwh', dir: 'desc' },
    columns: [
      { key: 'site', label: 'Site', value: (r) => r.name, render: (r) => h('a', { href: `#/site/${encodeURIComponent(r.site)}` }, r.name) },
      { key: 'registered', label: 'Registered', value: (r) => (r.registered === false ? 0 : 1), render: (r) => (r.registered === false ? 'no' : 'yes') },
      { key: 'kwh', label: 'Energy', numeric: true, value: (r) => r.kwh, render: (r) => f.kwh(r.kwh) },
      { key: 'tariff', label: 'Tariff (average)', numeric: true, value: (r) => r.tariffPerKwh, render: (r) => f.tariff(r.tariffPerKwh) },
      { key: 'fee', label: 'Fee', numeric: true, value: (r) => r.fee, render: (r) => f.money(r.fee) },
      { key: 'source', label: 'Source', value: (r) => r.source, render: (r) => r.source ?? '—' },
    ],
  });
  const range = () => ({ from: from.value, to: to.value });
  const csv = h('button', { type: 'button', 'data-testid': 'energy-csv', onclick: async () => {
    setText(error, '');
    try {
      await download('/energy', { ...range(), format: 'csv' }, `hashwatt-energy-${from.value}-${to.value}.csv`);
    } catch (err) {
      setText(error, `Download failed: ${err.message}`);
    }
  } }, 'Download CSV');

  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Energy and fees')),
    h('section', { class: 'panel' },
      h('form', { class: 'inline-form', onchange: () => fresh.now(), onsubmit: (e) => { e.preventDefault(); fresh.now(); } },
        h('label', { for: 'en-from' }, 'From'), from, h('label', { for: 'en-to' }, 'To'), to, csv),
      error, totals, table.el),
  );

  const load = async () => {
    if (from.value > to.value) return setText(error, 'From must be on or before To.');
    setText(error, '');
    const [body, sitesBody] = await Promise.all([get('/energy', range()), get('/sites')]);
    const names = new Map(list(sitesBody, 'sites').map((x) => [x.id, x.name]));
    // The API answers per site per day; the table shows per site over the range.
    const bySite = new Map();
    for (const r of list(body, 'rows')) {
      const row = bySite.get(r.site) ?? { site: r.site, name: names.get(r.site) ?? r.site, registered: r.registered, kwh: 0, fee: 0, tariffPerKwh: r.tariffPerKwh, currency: 'USD', sources: new Set(), days: 0 };
      row.kwh += r.kwh ?? 0;
      row.fee += r.fee ?? 0;
      row.days++;
      if (r.source) row.sources.add(r.source);
      bySite.set(r.site, row);
    }
    // Tariffs are effective-dated: over a range the fee per kWh is the honest figure.
    const rows = [...bySite.values()].map((r) => ({ ...r, tariffPerKwh: r.kwh > 0 ? r.fee / r.kwh : r.tariffPerKwh, source: [...r.sources].join(' + ') || null }));
    table.setRows(rows);
    const kwh = body.totals?.kwh ?? rows.reduce((s, r) => s + r.kwh, 0);
    const fee = body.totals?.fee ?? rows.reduce((s, r) => s + r.fee, 0);
    setChildren(totals, 'Total ', h('strong', { class: 'num' }, f.kwh(kwh)), ' · fees ', h('strong', { class: 'num' }, f.money(fee)), rows.length ? '' : h('span', { class: 'muted' }, ' — no energy recorded in this range yet (daily totals build up as samples arrive).'));
  };
  const fresh = keepFresh(load, { minIntervalMs: 5000, types: [], pollMs: 30_000 });
  return () => fresh.stop();
}
