// Curtailment: create an event with a live preview of the plan (the API's
// dryRun), watch each site's target move pending → confirmed with requested
// against achieved MW, and cancel. Viewers see the events but no controls.

import { del, get, list, post } from '../api.js';
import { debounce, h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { ACTIVE_EVENT, eventOf, siteOf } from '../model.js';
import { keepFresh } from '../refresh.js';
import { eventBody, KINDS, LEVELS, PRIORITIES, takesLevel, valueUnit } from '../event-form.js';

export function mount(container, ctx) {
  const eventsEl = h('div', { 'data-testid': 'event-list' });
  const formBox = h('div');
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Curtailment')),
    ctx.canCurtail ? h('section', { class: 'panel', 'aria-labelledby': 'new-event' }, h('h2', { id: 'new-event' }, 'New event'), formBox) : h('p', { class: 'muted', 'data-testid': 'viewer-note' }, `Signed in as ${ctx.role}: you can watch events; creating or cancelling one needs an operator or grid token.`),
    h('section', { class: 'panel' }, h('h2', {}, 'Events'), eventsEl),
  );

  let sites = [];
  // Sites under an active event: their updates move achieved MW, others' do not.
  let watched = new Set();
  const form = ctx.canCurtail ? buildForm(formBox, () => sites, () => fresh.now()) : null;
  const named = (plan) => {
    const byId = new Map(sites.map((s) => [s.id, s]));
    for (const t of plan.targets) Object.assign(t, { name: byId.get(t.site)?.name ?? t.site, registered: byId.get(t.site)?.registered });
    return plan;
  };
  form?.setNamer(named);
  const load = async () => {
    const [sitesBody, eventsBody] = await Promise.all([get('/sites'), get('/events', { limit: 50 })]);
    sites = list(sitesBody, 'sites').map(siteOf);
    form?.setSites(sites);
    const events = list(eventsBody, 'events').map(eventOf).sort((a, b) => (f.toMs(b.createdAt ?? b.start) ?? 0) - (f.toMs(a.createdAt ?? a.start) ?? 0));
    const names = new Map(sites.map((s) => [s.id, s]));
    for (const e of events) for (const t of e.targets) Object.assign(t, { name: names.get(t.site)?.name ?? t.site, registered: names.get(t.site)?.registered });
    watched = new Set(events.filter((e) => ACTIVE_EVENT.has(e.status)).flatMap((e) => e.targets.map((t) => t.site)));
    renderEvents(eventsEl, events, ctx, () => fresh.now());
  };
  const fresh = keepFresh(load, { types: ['event', 'site', 'open'], when: (data, type) => type !== 'site' || watched.has(data?.id), minIntervalMs: 1000, pollMs: 10_000 });
  return () => fresh.stop();
}

function field(label, control, hint) {
  const id = control.id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

function buildForm(box, getSites, onCreated) {
  const scope = h('select', { id: 'ev-scope', name: 'scope' }, h('option', { value: 'all' }, 'All sites'), h('option', { value: 'region' }, 'A region'), h('option', { value: 'sites' }, 'Chosen sites'));
  const region = h('select', { id: 'ev-region', name: 'region' });
  const sitesSel = h('select', { id: 'ev-sites', name: 'sites', multiple: true, size: 5 });
  const kind = h('select', { id: 'ev-kind', name: 'kind' }, KINDS.map((k) => h('option', { value: k.id }, k.label)));
  const value = h('input', { id: 'ev-value', name: 'value', type: 'number', min: '0', step: 'any', value: '100', inputmode: 'decimal' });
  const unit = h('span', { class: 'unit' }, 'kW');
  const minutes = h('input', { id: 'ev-minutes', name: 'minutes', type: 'number', min: '1', step: '1', value: '60' });
  const priority = h('select', { id: 'ev-priority', name: 'priority' }, PRIORITIES.map((p) => h('option', { value: p }, p)));
  const level = h('select', { id: 'ev-level', name: 'level' }, LEVELS.map((l) => h('option', { value: l.id }, l.label)));
  const reason = h('input', { id: 'ev-reason', name: 'reason', type: 'text', maxlength: '200', value: 'Grid frequency support' });
  const preview = h('div', { class: 'preview', 'data-testid': 'plan-preview', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'The plan appears here as you type.'));
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'event-error' });
  const submit = h('button', { type: 'submit', class: 'primary danger', 'data-testid': 'create-event' }, 'Start curtailment');
  const regionField = field('Region', region);
  const sitesField = field('Sites', sitesSel, 'Ctrl/Cmd-click to choose several');
  const levelField = field('Level', level, 'Auto: power targets where a site can take them (more TH/s kept per kW), sleep on emergency');

  const read = () => ({ scope: scope.value, region: region.value, sites: [...sitesSel.selectedOptions].map((o) => o.value), kind: kind.value, value: Number(value.value), minutes: Number(minutes.value), priority: priority.value, level: level.value, reason: reason.value.trim() });
  const sync = () => {
    regionField.hidden = scope.value !== 'region';
    sitesField.hidden = scope.value !== 'sites';
    levelField.hidden = !takesLevel(kind.value);
    const u = valueUnit(kind.value);
    unit.textContent = u ?? '';
    value.disabled = u === null;
  };

  let previewSeq = 0;
  let namer = (plan) => plan;
  const refreshPreview = debounce(async () => {
    const seq = ++previewSeq;
    const body = eventBody(read());
    if (body.error) return setChildren(preview, h('p', { class: 'form-error' }, body.error));
    try {
      const plan = namer(eventOf(await post('/events', body.value, { dryRun: true })));
      if (seq === previewSeq) renderPlan(preview, plan);
    } catch (err) {
      if (seq === previewSeq) setChildren(preview, h('p', { class: 'form-error' }, `The collector refused this plan: ${err.message}`));
    }
  }, 250);

  const form = h('form', {
    class: 'event-form',
    'data-testid': 'event-form',
    oninput: () => { sync(); refreshPreview(); },
    onchange: () => { sync(); refreshPreview(); },
    onsubmit: async (e) => {
      e.preventDefault();
      setText(error, '');
      const body = eventBody(read());
      if (body.error) return setText(error, body.error);
      submit.disabled = true;
      try {
        await post('/events', body.value);
        onCreated();
      } catch (err) {
        setText(error, `Not created: ${err.message}`);
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('div', { class: 'form-grid' }, field('Scope', scope), regionField, sitesField, field('Kind', kind), h('div', { class: 'field' }, h('label', { for: 'ev-value' }, 'Value'), h('div', { class: 'with-unit' }, value, unit)), field('Duration (minutes)', minutes), field('Priority', priority), levelField, field('Reason', reason)),
  h('h3', {}, 'Plan preview'), preview, error, submit);
  box.append(form);
  sync();

  let known = '';
  return {
    setNamer(fn) {
      namer = fn;
    },
    setSites(sites) {
      const key = sites.map((s) => `${s.id}:${s.region}`).join(',');
      if (key === known) return;
      known = key;
      const chosen = new Set([...sitesSel.selectedOptions].map((o) => o.value));
      setChildren(sitesSel, sites.map((s) => h('option', { value: s.id, selected: chosen.has(s.id) }, `${s.name}${s.registered ? '' : ' (unregistered)'}`)));
      const regions = [...new Set(sites.map((s) => s.region).filter(Boolean))].sort();
      const current = region.value;
      setChildren(region, regions.map((r) => h('option', { value: r, selected: r === current }, r)));
      refreshPreview();
    },
  };
}

function renderPlan(el, plan) {
  const rows = plan.targets;
  setChildren(el,
    h('p', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'plan-requested' }, f.power(plan.requestedKw)),
      ', planned ', h('strong', { class: 'num', 'data-testid': 'plan-shed' }, f.power(plan.plannedShedKw ?? plan.requestedKw)),
      ` across ${rows.length} site${rows.length === 1 ? '' : 's'}`, f.isNum(plan.scopeKw) ? ` drawing ${f.power(plan.scopeKw)} now.` : '.',
      plan.shortfallKw > 0 ? h('span', { class: 'warn' }, ` Short by ${f.power(plan.shortfallKw)}: not enough load in scope.`) : null),
    plan.warnings.length ? h('ul', { class: 'warn' }, plan.warnings.map((w) => h('li', {}, typeof w === 'string' ? w : w.message ?? JSON.stringify(w)))) : null,
    targetTable(rows, false));
}

function targetTable(rows, withProgress) {
  return h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['Site', withProgress ? 'Mode' : 'Shed order', ...(withProgress ? ['Level'] : []), 'Baseline', ...(withProgress ? ['Now'] : []), withProgress ? 'To shed' : 'Shed', 'Target', ...(withProgress ? ['Shed now', 'TH/s kept', 'State'] : [])].map((t) => h('th', { scope: 'col', class: t === 'Site' || t === 'Mode' || t === 'Level' || t === 'State' || t === 'Shed order' ? '' : 'num' }, t)))),
    h('tbody', {}, rows.map((t) => h('tr', { 'data-site': t.site, 'data-testid': 'target-row' },
      h('td', {}, h('a', { href: `#/site/${encodeURIComponent(t.site)}` }, t.name ?? t.site), t.registered === false ? h('span', { class: 'chip c-unregistered' }, 'unregistered') : null),
      h('td', {}, withProgress ? t.mode ?? '—' : `${t.group ?? ''} · ${t.mode ?? ''}`),
      // The level the site's agents were sent (auto resolved from their births).
      ...(withProgress ? [h('td', { 'data-testid': 'target-level' }, t.level ? h('span', { class: `chip l-${t.level}` }, t.level === 'power_target' ? 'power target' : 'sleep') : '—')] : []),
      h('td', { class: 'num' }, f.power(t.baselineKw)),
      ...(withProgress ? [h('td', { class: 'num', 'data-testid': 'target-now' }, f.power(t.currentKw))] : []),
      h('td', { class: 'num' }, f.power(t.shedKw)),
      h('td', { class: 'num' }, t.mode === 'sleep_count' ? `${f.int(t.value)} asleep` : f.power(t.targetKw)),
      // Shed now = baseline − measured: what this site gives back at the moment.
      ...(withProgress ? [h('td', { class: 'num', 'data-testid': 'target-shed-now' }, f.isNum(t.baselineKw) && f.isNum(t.currentKw) ? f.power(t.baselineKw - t.currentKw) : '—'),
        // TH/s kept: the site's hashrate now, and its share of the hashrate when the event was planned.
        h('td', { class: 'num', 'data-testid': 'target-ths-kept' }, f.isNum(t.currentThs) ? `${f.hashrate(t.currentThs)}${f.isNum(t.baselineThs) && t.baselineThs > 0 ? ` (${Math.round((100 * t.currentThs) / t.baselineThs)} %)` : ''}` : '—'),
        h('td', {}, h('span', { class: `chip t-${t.state}`, title: t.detail ?? '' }, t.state), t.detail ? h('div', { class: 'muted small' }, t.detail) : null)] : [])))));
}

function renderEvents(el, events, ctx, refresh) {
  if (!events.length) return setChildren(el, h('p', { class: 'muted' }, 'No curtailment events yet.'));
  setChildren(el, events.slice(0, 20).map((e) => {
    const active = ACTIVE_EVENT.has(e.status);
    const ratio = e.requestedKw > 0 && f.isNum(e.achievedKw) ? Math.min(1, e.achievedKw / e.requestedKw) : 0;
    return h('article', { class: `event ${active ? 'active' : 'ended'}`, 'data-testid': 'event', 'data-event': e.id, 'data-status': e.status },
      h('header', { class: 'event-head' },
        h('h3', {}, `${kindLabel(e.kind)}${f.isNum(e.value) ? ` ${e.kind === 'sleep_count' ? f.int(e.value) : f.power(e.value)}` : ''}`),
        h('span', { class: `chip p-${e.priority}` }, e.priority),
        h('span', { class: `chip l-${e.level}`, 'data-testid': 'event-level' }, e.level === 'power_target' ? 'power target' : e.level),
        h('span', { class: `chip e-${e.status}`, 'data-testid': 'event-status' }, e.status),
        h('span', { class: 'muted' }, `${f.dateTime(e.start)} → ${f.time(e.endedAt ?? e.end)}`),
        active && ctx.canCurtail ? h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-event', onclick: async (ev) => {
          ev.currentTarget.disabled = true;
          try {
            await del(`/events/${encodeURIComponent(e.id)}`);
          } catch (err) {
            alertError(el, `Cancel failed: ${err.message}`);
          }
          refresh();
        } }, 'Cancel event') : null),
      e.reason ? h('p', { class: 'muted' }, e.reason) : null,
      h('div', { class: 'progress-line' },
        h('span', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'event-requested' }, f.power(e.requestedKw))),
        h('span', {}, 'Achieved ', h('strong', { class: 'num', 'data-testid': 'event-achieved' }, f.power(e.achievedKw))),
        h('div', { class: 'meter-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(ratio * 100)), 'aria-label': 'achieved of requested' }, h('div', { class: 'fill', style: { width: `${ratio * 100}%` } }))),
      targetTable(e.targets, true));
  }));
}

function alertError(el, text) {
  el.prepend(h('p', { class: 'form-error', role: 'alert' }, text));
}

function kindLabel(kind) {
  return KINDS.find((k) => k.id === kind)?.label ?? kind;
}
