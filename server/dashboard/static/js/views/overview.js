// Fleet overview: total draw against total allocation, one bar per site
// coloured by compliance, grey sites, agents online, hashrate, efficiency,
// open violations, active curtailment events and open alerts. Live via the stream.

import { get, list } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { ACTIVE_EVENT, COMPLIANCE_LABEL, eventOf, siteOf } from '../model.js';
import * as live from '../live.js';
import { keepFresh } from '../refresh.js';
import { renderAlerts } from './alerts-panel.js';
import { describeEvent } from '../event-form.js';

function kpi(id, label) {
  const value = h('div', { class: 'kpi-value', 'data-testid': `kpi-${id}` }, '—');
  const sub = h('div', { class: 'kpi-sub' });
  return { el: h('div', { class: 'kpi' }, h('div', { class: 'kpi-label' }, label), value, sub), value, sub };
}

export function mount(container, ctx) {
  const k = {
    draw: kpi('total-kw', 'Total draw'),
    sites: kpi('sites', 'Sites'),
    agents: kpi('agents', 'Agents online'),
    hash: kpi('hashrate', 'Fleet hashrate'),
    eff: kpi('efficiency', 'Efficiency'),
    asics: kpi('asics', 'ASICs hashing'),
    viol: kpi('violations', 'Open violations'),
    events: kpi('events', 'Active events'),
  };
  const drawBar = h('div', { class: 'meter-bar', role: 'img', 'aria-label': 'registered draw against registered allocation' }, h('div', { class: 'fill' }));
  k.draw.el.append(drawBar);
  const updated = h('span', { class: 'muted', 'data-testid': 'updated' });
  const siteList = h('ol', { class: 'site-bars', 'data-testid': 'site-list', 'aria-label': 'Sites by draw against allocation' });
  const violations = h('div', { 'data-testid': 'violations' });
  const events = h('div', { 'data-testid': 'active-events' });
  const alertsEl = h('div', { 'data-testid': 'alerts' });

  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Fleet overview'), updated),
    h('section', { class: 'kpis', 'aria-label': 'Fleet totals' }, Object.values(k).map((x) => x.el)),
    h('section', { class: 'panel' }, h('h2', {}, 'Sites'), legend(), siteList),
    h('div', { class: 'two-col' },
      h('section', { class: 'panel' }, h('h2', {}, 'Open violations'), violations),
      h('section', { class: 'panel' }, h('h2', {}, 'Curtailment events'), events)),
    h('section', { class: 'panel alerts-panel' }, h('h2', {}, 'Open alerts'), alertsEl),
  );

  // Site summaries arrive on the stream (the same shape as GET /sites) and are
  // patched in; the full lists are refetched when violations or events change
  // and on a slow poll, so a large fleet does not refetch every site per update.
  const sites = new Map();
  let openViolations = [];
  let activeEvents = [];
  let openAlerts = [];
  let frame = null;
  const draw = () => {
    frame = null;
    render([...sites.values()], openViolations, activeEvents, openAlerts);
    setText(updated, `updated ${f.time(Date.now())}`);
  };
  const redraw = () => {
    frame ??= setTimeout(draw, 250);
  };
  const load = async () => {
    const [sitesBody, violBody, eventsBody, alertsBody] = await Promise.all([
      get('/sites'), get('/violations', { open: true }), get('/events', { limit: 50 }), get('/alerts', { open: true, limit: 100 }),
    ]);
    sites.clear();
    for (const s of list(sitesBody, 'sites').map(siteOf)) sites.set(s.id, s);
    openViolations = list(violBody, 'violations').filter((v) => v.closedAt == null);
    activeEvents = list(eventsBody, 'events').map(eventOf).filter((e) => ACTIVE_EVENT.has(e.status));
    openAlerts = list(alertsBody, 'alerts');
    draw();
  };
  const offSite = live.on('site', (data) => {
    if (!data?.id) return;
    const s = siteOf(data);
    if (!sites.has(s.id)) fresh.now();
    sites.set(s.id, s);
    redraw();
  });

  const render = (sites, openViolations, activeEvents, openAlerts) => {
    const totalKw = sites.reduce((s, x) => s + (x.kw ?? 0), 0);
    // Registered draw is held against registered allocation; grey draw has no allocation
    // to count against and is shown beside it, never inside the percentage.
    const registeredKw = sites.filter((x) => x.registered).reduce((s, x) => s + (x.kw ?? 0), 0);
    const greyKw = totalKw - registeredKw;
    const allocKw = sites.filter((x) => x.registered).reduce((s, x) => s + x.allocationKw, 0);
    const minerKw = sites.reduce((s, x) => s + (x.minerKw ?? x.kw ?? 0), 0);
    const ths = sites.reduce((s, x) => s + (x.hashrateThs ?? 0), 0);
    const grey = sites.filter((x) => !x.registered).length;
    const agentsOnline = sites.reduce((s, x) => s + x.agentsOnline, 0);
    const agentsTotal = sites.reduce((s, x) => s + x.agentsTotal, 0);
    const hashing = sites.reduce((s, x) => s + x.counts.hashing, 0);
    const total = sites.reduce((s, x) => s + x.counts.total, 0);

    setText(k.draw.value, f.mw(totalKw));
    setChildren(k.draw.sub,
      h('span', { 'data-testid': 'draw-registered' }, `registered ${f.mw(registeredKw)}: ${allocKw > 0 ? f.percent(registeredKw / allocKw) : '—'} of ${f.mw(allocKw)} allocated`),
      h('br'),
      h('span', { 'data-testid': 'draw-unregistered', class: greyKw > 0 ? 'grey-text' : '' }, `unregistered ${f.mw(greyKw)} (no allocation)`));
    const fill = drawBar.firstChild;
    fill.style.width = `${Math.min(100, allocKw > 0 ? (registeredKw / allocKw) * 100 : 0)}%`;
    drawBar.dataset.over = String(allocKw > 0 && registeredKw > allocKw);
    drawBar.setAttribute('aria-label', 'registered draw against registered allocation');
    setText(k.sites.value, f.int(sites.length));
    setText(k.sites.sub, `${sites.length - grey} registered · ${grey} unregistered`);
    k.sites.el.dataset.alert = String(grey > 0);
    setText(k.agents.value, `${agentsOnline} / ${agentsTotal}`);
    setText(k.agents.sub, agentsOnline < agentsTotal ? `${agentsTotal - agentsOnline} offline` : 'all reporting');
    k.agents.el.dataset.alert = String(agentsOnline < agentsTotal);
    setText(k.hash.value, f.hashrate(ths));
    setText(k.hash.sub, `${f.int(total)} ASICs`);
    setText(k.eff.value, ths > 0 ? f.jth((minerKw * 1000) / ths) : '—');
    setText(k.eff.sub, 'miner power ÷ hashrate');
    setText(k.asics.value, f.int(hashing));
    setText(k.asics.sub, `of ${f.int(total)} (${total ? f.percent(hashing / total) : '—'})`);
    setText(k.viol.value, f.int(openViolations.length));
    k.viol.el.dataset.alert = String(openViolations.length > 0);
    setText(k.viol.sub, openViolations.length ? 'sites above allocation' : 'none');
    setText(k.events.value, f.int(activeEvents.length));
    const shed = activeEvents.reduce((s, e) => s + (e.requestedKw ?? 0), 0);
    setText(k.events.sub, activeEvents.length ? `${f.mw(shed)} requested` : 'none');

    renderSites(siteList, sites, ctx);
    renderViolations(violations, openViolations, sites);
    renderEvents(events, activeEvents, new Map(sites.map((x) => [x.id, x.name])));
    renderAlerts(alertsEl, openAlerts, sites);
  };

  const fresh = keepFresh(load, { types: ['violation', 'event', 'alert', 'open'], minIntervalMs: 1000 });
  return () => {
    offSite();
    clearTimeout(frame);
    fresh.stop();
  };
}

function legend() {
  return h('ul', { class: 'legend', 'aria-label': 'Colours' },
    ['ok', 'over', 'violation', 'unregistered'].map((c) => h('li', { class: `c-${c}` }, h('span', { class: 'swatch' }), COMPLIANCE_LABEL[c])));
}

function renderSites(ol, sites, ctx) {
  const scale = Math.max(1, ...sites.map((s) => Math.max(s.kw ?? 0, s.allocationKw) * 1.1));
  const sorted = [...sites].sort((a, b) => Number(b.registered === false) - Number(a.registered === false) || (b.kw ?? 0) - (a.kw ?? 0) || String(a.id).localeCompare(String(b.id)));
  const rows = sorted.map((s) => {
    const ratio = s.allocationKw > 0 && s.kw !== null ? s.kw / s.allocationKw : null;
    return h('li', { class: `site-bar c-${s.compliance}`, 'data-site': s.id, 'data-testid': 'site-row', 'data-compliance': s.compliance },
      h('a', { class: 'site-name', href: `#/site/${encodeURIComponent(s.id)}` }, s.name),
      h('span', { class: 'chip' }, COMPLIANCE_LABEL[s.compliance] ?? s.compliance),
      h('div', { class: 'bar', role: 'img', 'aria-label': `${s.name}: ${f.power(s.kw)} of ${f.power(s.allocationKw)} allocated` },
        h('div', { class: 'fill', style: { width: `${((s.kw ?? 0) / scale) * 100}%` } }),
        s.allocationKw > 0 ? h('div', { class: 'alloc', style: { left: `${(s.allocationKw / scale) * 100}%` }, title: `allocation ${f.power(s.allocationKw)}` }) : null),
      h('span', { class: 'site-kw num', 'data-testid': 'site-kw' }, f.power(s.kw)),
      h('span', { class: 'site-alloc num muted' }, s.registered ? `/ ${f.power(s.allocationKw)}${ratio !== null ? ` · ${f.percent(ratio)}` : ''}` : 'no allocation'),
      h('span', { class: 'site-meta muted' }, `${f.int(s.counts.hashing)}/${f.int(s.counts.total)} hashing · ${s.agentsOnline}/${s.agentsTotal} agents`),
    );
  });
  setChildren(ol, rows.length ? rows : h('li', { class: 'empty' }, 'No sites yet. Sites appear when they are registered or when an agent reports.'));
}

function renderViolations(el, violations, sites) {
  if (!violations.length) return setChildren(el, h('p', { class: 'muted' }, 'No open violations.'));
  const names = new Map(sites.map((s) => [s.id, s.name]));
  setChildren(el, h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['Site', 'Since', 'Allocation', 'Peak', 'Energy over'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, violations.map((v) => {
      const site = v.site;
      return h('tr', { 'data-testid': 'violation-row', 'data-site': site },
        h('td', {}, h('a', { href: `#/site/${encodeURIComponent(site)}` }, names.get(site) ?? site)),
        h('td', {}, f.ago(v.openedAt)),
        h('td', { class: 'num' }, f.power(v.allocationKw)),
        h('td', { class: 'num' }, f.power(v.peakKw)),
        h('td', { class: 'num' }, f.kwh(v.energyOverKwh)));
    }))));
}

function renderEvents(el, events, names) {
  if (!events.length) return setChildren(el, h('p', { class: 'muted' }, 'No active events. ', h('a', { href: '#/curtailment' }, 'Curtailment')));
  setChildren(el, h('ul', { class: 'event-mini' }, events.map((e) => {
    const m = e.machines;
    const progress = m ? `${f.int(m.asleep ?? 0)} of ${f.int(m.planned)} machines asleep · ${f.power(e.achievedKw)} shed` : `${f.power(e.achievedKw)} of ${f.power(e.requestedKw)} shed`;
    return h('li', { 'data-testid': 'overview-event' }, h('a', { href: '#/curtailment' }, describeEvent(e, names)), ' ',
      h('span', { class: `chip p-${e.priority}` }, e.priority), ' ',
      h('span', { class: 'num' }, progress), ' ', h('span', { class: 'muted' }, e.status === 'scheduled' ? `starts ${f.dateTime(e.start)}` : `until ${f.dateTime(e.end)}`));
  })));
}
