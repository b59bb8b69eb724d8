// Curtailment: create an event (now or at a time) with a live preview of the
// plan (the API's dryRun) and a confirmation step showing what will happen,
// watch each site's target move pending → confirmed with requested against
// achieved MW (machines for sleep events), and cancel after confirming.
// Viewers see the events but no controls.

import { del, get, list, post } from '../api.js';
import { debounce, h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { ACTIVE_EVENT, eventOf, siteOf } from '../model.js';
import { keepFresh } from '../refresh.js';
import { describeEvent, eventBody, KINDS, LEVELS, PRIORITIES, takesLevel, valueUnit } from '../event-form.js';

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
    renderEvents(eventsEl, events, ctx, () => fresh.now(), new Map(sites.map((s) => [s.id, s.name])));
  };
  const fresh = keepFresh(load, { types: ['event', 'site', 'open'], when: (data, type) => type !== 'site' || watched.has(data?.id), minIntervalMs: 1000, pollMs: 10_000 });
  return () => fresh.stop();
}

function field(label, control, hint) {
  const id = control.id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

const pad = (n) => String(n).padStart(2, '0');
/** ms → the value a datetime-local input takes, in the browser's time zone. */
function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const DEFAULTS = { scope: 'all', kind: 'reduce_by_kw', value: '100', minutes: '60', priority: 'normal', reason: 'Grid frequency support', startMode: 'now' };

function buildForm(box, getSites, onCreated) {
  const scope = h('select', { id: 'ev-scope', name: 'scope' }, h('option', { value: 'all' }, 'All sites'), h('option', { value: 'region' }, 'A region'), h('option', { value: 'sites' }, 'Chosen sites'));
  const region = h('select', { id: 'ev-region', name: 'region' });
  const sitesSel = h('select', { id: 'ev-sites', name: 'sites', multiple: true, size: 5 });
  const kind = h('select', { id: 'ev-kind', name: 'kind' }, KINDS.map((k) => h('option', { value: k.id }, k.label)));
  const value = h('input', { id: 'ev-value', name: 'value', type: 'number', min: '0', step: 'any', value: DEFAULTS.value, inputmode: 'decimal' });
  const unit = h('span', { class: 'unit' }, 'kW');
  const startMode = h('select', { id: 'ev-start-mode', name: 'startMode' }, h('option', { value: 'now' }, 'Now'), h('option', { value: 'at' }, 'At a time'));
  const startAt = h('input', { id: 'ev-start-at', name: 'startAt', type: 'datetime-local' });
  const minutes = h('input', { id: 'ev-minutes', name: 'minutes', type: 'number', min: '1', step: '1', value: DEFAULTS.minutes });
  const priority = h('select', { id: 'ev-priority', name: 'priority' }, PRIORITIES.map((p) => h('option', { value: p }, p)));
  const level = h('select', { id: 'ev-level', name: 'level' }, LEVELS.map((l) => h('option', { value: l.id }, l.label)));
  const reason = h('input', { id: 'ev-reason', name: 'reason', type: 'text', maxlength: '200', value: DEFAULTS.reason });
  const preview = h('div', { class: 'preview', 'data-testid': 'plan-preview', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'The plan appears here as you type.'));
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'event-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-event' }, 'Review and start…');
  const confirmBox = h('div', { class: 'confirm', 'data-testid': 'event-confirm', hidden: true, role: 'alertdialog', 'aria-labelledby': 'ev-confirm-title' });
  const regionField = field('Region', region);
  const sitesField = field('Sites', sitesSel, 'Ctrl/Cmd-click to choose several');
  const startAtField = field('Start at', startAt, 'your local time');
  const levelField = field('Level', level, 'Auto: power targets where a site can take them (more TH/s kept per kW), sleep on emergency');

  const read = () => ({
    scope: scope.value, region: region.value, sites: [...sitesSel.selectedOptions].map((o) => o.value), kind: kind.value, value: Number(value.value),
    minutes: Number(minutes.value), priority: priority.value, level: level.value, reason: reason.value.trim(), startMode: startMode.value, startAt: startAt.value,
  });
  const sync = () => {
    regionField.hidden = scope.value !== 'region';
    sitesField.hidden = scope.value !== 'sites';
    startAtField.hidden = startMode.value !== 'at';
    levelField.hidden = !takesLevel(kind.value);
    if (startMode.value === 'at' && !startAt.value) startAt.value = localInput(Date.now() + 15 * 60_000);
    const u = valueUnit(kind.value);
    unit.textContent = u ?? '';
    value.disabled = u === null;
    value.step = kind.value === 'sleep_count' ? '1' : 'any';
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

  const closeConfirm = () => {
    confirmBox.hidden = true;
    confirmBox.replaceChildren();
    submit.disabled = false;
  };
  const reset = () => {
    form.reset();
    Object.assign(scope, { value: DEFAULTS.scope });
    Object.assign(kind, { value: DEFAULTS.kind });
    Object.assign(startMode, { value: DEFAULTS.startMode });
    startAt.value = '';
    for (const o of sitesSel.options) o.selected = false;
    sync();
    setChildren(preview, h('p', { class: 'muted' }, 'The plan appears here as you type.'));
    refreshPreview();
  };

  // Step 2: the plan as it will be carried out, and one button that starts it. The
  // box goes away once the event exists, so a second click cannot make a second one.
  const openConfirm = async (body) => {
    submit.disabled = true;
    let plan;
    try {
      plan = namer(eventOf(await post('/events', body, { dryRun: true })));
    } catch (err) {
      setText(error, `The collector refused this plan: ${err.message}`);
      submit.disabled = false;
      return;
    }
    const when = body.start ? `at ${f.dateTime(body.start)}` : 'now';
    const ends = f.dateTime((body.start ? Date.parse(body.start) : Date.now()) + body.durationS * 1000);
    const sites = new Map(getSites().map((s) => [s.id, s.name]));
    let starting = false;
    const go = h('button', { type: 'button', class: 'primary danger', 'data-testid': 'confirm-event', onclick: async () => {
      if (starting) return;
      starting = true;
      go.disabled = true;
      try {
        await post('/events', body);
        closeConfirm();
        reset();
        onCreated();
      } catch (err) {
        setText(error, `Not created: ${err.message}`);
        starting = false;
        go.disabled = false;
      }
    } }, body.start ? 'Schedule curtailment' : 'Start curtailment');
    setChildren(confirmBox,
      h('h3', { id: 'ev-confirm-title' }, `${describeEvent({ kind: body.kind, value: body.value, scope: body.scope }, sites)}, ${when}`),
      h('p', {}, `Until ${ends}, priority ${body.priority}. `, planSummary(plan)),
      targetTable(plan.targets, false),
      h('div', { class: 'confirm-actions' }, go, h('button', { type: 'button', 'data-testid': 'confirm-back', onclick: closeConfirm }, 'Back to the form')));
    confirmBox.hidden = false;
    go.focus();
  };

  const form = h('form', {
    class: 'event-form',
    'data-testid': 'event-form',
    oninput: () => { sync(); refreshPreview(); closeConfirm(); },
    onchange: () => { sync(); refreshPreview(); },
    onsubmit: async (e) => {
      e.preventDefault();
      setText(error, '');
      const body = eventBody(read());
      if (body.error) return setText(error, body.error);
      await openConfirm(body.value);
    },
  },
  h('div', { class: 'form-grid' }, field('Scope', scope), regionField, sitesField, field('Kind', kind), h('div', { class: 'field' }, h('label', { for: 'ev-value' }, 'Value'), h('div', { class: 'with-unit' }, value, unit)),
    field('Start', startMode), startAtField, field('Duration (minutes)', minutes), field('Priority', priority), levelField, field('Reason', reason)),
  h('h3', {}, 'Plan preview'), preview, error, submit, confirmBox);
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

/** "Requested …, planned … across N sites …" in machines for sleep events, kW otherwise. */
function planSummary(plan) {
  const rows = plan.targets;
  const across = ` across ${rows.length} site${rows.length === 1 ? '' : 's'}`;
  const drawing = f.isNum(plan.scopeKw) ? ` drawing ${f.power(plan.scopeKw)} now.` : '.';
  const m = plan.machines;
  if (m) {
    return h('span', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'plan-requested' }, `${f.int(m.requested)} machines`),
      ', planned ', h('strong', { class: 'num', 'data-testid': 'plan-shed' }, `${f.int(m.planned)} machines`), ` (≈ ${f.power(plan.plannedShedKw)})`, across, drawing,
      m.shortfall > 0 ? h('span', { class: 'warn', 'data-testid': 'plan-short' }, ` Short by ${f.int(m.shortfall)} machines: not that many hashing in scope.`) : null);
  }
  return h('span', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'plan-requested' }, f.power(plan.requestedKw)),
    ', planned ', h('strong', { class: 'num', 'data-testid': 'plan-shed' }, f.power(plan.plannedShedKw ?? plan.requestedKw)), across, drawing,
    plan.shortfallKw > 0 ? h('span', { class: 'warn', 'data-testid': 'plan-short' }, ` Short by ${f.power(plan.shortfallKw)}: not enough load in scope.`) : null);
}

function renderPlan(el, plan) {
  setChildren(el,
    h('p', {}, planSummary(plan)),
    plan.warnings.length ? h('ul', { class: 'warn' }, plan.warnings.map((w) => h('li', {}, typeof w === 'string' ? w : w.message ?? JSON.stringify(w)))) : null,
    targetTable(plan.targets, false));
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
      h('td', { class: 'num' }, t.mode === 'sleep_count' ? `${f.int(t.value)} machines asleep` : f.power(t.targetKw)),
      // Shed now = baseline − measured: what this site gives back at the moment.
      ...(withProgress ? [h('td', { class: 'num', 'data-testid': 'target-shed-now' }, f.isNum(t.baselineKw) && f.isNum(t.currentKw) ? f.power(t.baselineKw - t.currentKw) : '—'),
        // TH/s kept: the site's hashrate now, and its share of the hashrate when the event was planned.
        h('td', { class: 'num', 'data-testid': 'target-ths-kept' }, f.isNum(t.currentThs) ? `${f.hashrate(t.currentThs)}${f.isNum(t.baselineThs) && t.baselineThs > 0 ? ` (${Math.round((100 * t.currentThs) / t.baselineThs)} %)` : ''}` : '—'),
        h('td', {}, h('span', { class: `chip t-${t.state}`, title: t.detail ?? '' }, t.state), t.mode === 'sleep_count' && f.isNum(t.asleep) ? h('div', { class: 'muted small', 'data-testid': 'target-asleep' }, `${f.int(t.asleep)} of ${f.int(t.value)} asleep`) : null, t.detail ? h('div', { class: 'muted small' }, t.detail) : null)] : [])))));
}

function renderEvents(el, events, ctx, refresh, names) {
  if (!events.length) return setChildren(el, h('p', { class: 'muted' }, 'No curtailment events yet.'));
  setChildren(el, events.slice(0, 20).map((e) => {
    const active = ACTIVE_EVENT.has(e.status);
    const m = e.machines;
    const ratio = m && f.isNum(m.asleep) && m.planned > 0 ? Math.min(1, m.asleep / m.planned)
      : e.requestedKw > 0 && f.isNum(e.achievedKw) ? Math.min(1, e.achievedKw / e.requestedKw) : 0;
    const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'cancel-confirm', role: 'alertdialog' });
    const askCancel = (ev) => {
      const button = ev.currentTarget;
      button.disabled = true;
      setChildren(confirmBox,
        h('p', {}, `Cancel "${describeEvent(e, names)}"? Every site it covers gets its new control at once (sleeping miners wake unless another event holds them).`),
        h('div', { class: 'confirm-actions' },
          h('button', { type: 'button', class: 'primary danger', 'data-testid': 'cancel-confirm-yes', onclick: async (c) => {
            c.currentTarget.disabled = true;
            try {
              await del(`/events/${encodeURIComponent(e.id)}`);
            } catch (err) {
              alertError(el, `Cancel failed: ${err.message}`);
            }
            refresh();
          } }, 'Yes, cancel the event'),
          h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; button.disabled = false; } }, 'Keep it')));
      confirmBox.hidden = false;
    };
    return h('article', { class: `event ${active ? 'active' : 'ended'}`, 'data-testid': 'event', 'data-event': e.id, 'data-status': e.status },
      h('header', { class: 'event-head' },
        h('h3', {}, describeEvent(e, names)),
        h('span', { class: `chip p-${e.priority}` }, e.priority),
        h('span', { class: `chip l-${e.level}`, 'data-testid': 'event-level' }, e.level === 'power_target' ? 'power target' : e.level),
        h('span', { class: `chip e-${e.status}`, 'data-testid': 'event-status' }, e.status),
        h('span', { class: 'muted', 'data-testid': 'event-when' }, `${f.dateTime(e.start)} → ${f.dateTime(e.endedAt ?? e.end)}`),
        e.source ? h('span', { class: 'chip source', 'data-testid': 'event-source', title: `VTN event ${e.source.vtnEventId}, interval ${e.source.intervalId}; changed or cancelled only by the VTN` }, `OpenADR · ${e.source.programName}`) : null,
        active && ctx.canCurtail && !e.source ? h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-event', onclick: askCancel }, 'Cancel event…') : null),
      confirmBox,
      e.reason ? h('p', { class: 'muted' }, e.reason) : null,
      e.source ? h('p', { class: 'muted small', 'data-testid': 'event-source-detail' }, `From ${e.createdBy}: program ${e.source.programName}, VTN event ${e.source.vtnEventId}, interval ${e.source.intervalId} (read-only)`) : null,
      h('div', { class: 'progress-line' },
        m ? [
          h('span', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'event-requested' }, `${f.int(m.requested)} machines`)),
          h('span', {}, 'Planned ', h('strong', { class: 'num' }, `${f.int(m.planned)}`), m.shortfall > 0 ? h('span', { class: 'warn' }, ` (short ${f.int(m.shortfall)})`) : null),
          h('span', {}, 'Asleep ', h('strong', { class: 'num', 'data-testid': 'event-asleep' }, f.isNum(m.asleep) ? f.int(m.asleep) : '—')),
          h('span', { class: 'muted' }, 'Shed ', h('strong', { class: 'num', 'data-testid': 'event-achieved' }, f.power(e.achievedKw)), ` of ≈ ${f.power(e.requestedKw)}`),
        ] : [
          h('span', {}, 'Requested ', h('strong', { class: 'num', 'data-testid': 'event-requested' }, f.power(e.requestedKw))),
          h('span', {}, 'Achieved ', h('strong', { class: 'num', 'data-testid': 'event-achieved' }, f.power(e.achievedKw))),
        ],
        h('div', { class: 'meter-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(ratio * 100)), 'aria-label': m ? 'machines asleep of planned' : 'achieved of requested' }, h('div', { class: 'fill', style: { width: `${ratio * 100}%` } }))),
      targetTable(e.targets, true));
  }));
}

function alertError(el, text) {
  el.prepend(h('p', { class: 'form-error', role: 'alert' }, text));
}
