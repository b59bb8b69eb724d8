// Managing one site (operator and grid roles): register a grey site (its
// history stays), edit allocation, hard cap, tariff (effective from a date),
// tier, region and company. Every save shows what changes first and asks again
// for the destructive ones; the history of allocation, cap and tariff is listed.

import { get, list, put } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { localMs } from '../event-form.js';

const FIELDS = [
  { key: 'name', label: 'Name', type: 'text' },
  { key: 'region', label: 'Region', type: 'text' },
  { key: 'company', label: 'Company', type: 'text', list: 'company-list' },
  { key: 'allocationKw', label: 'Allocation (kW)', type: 'number', dated: true },
  { key: 'hardCapKw', label: 'Hard cap (kW)', hint: 'empty: none', type: 'number', nullable: true, dated: true },
  { key: 'tariffPerKwh', label: 'Tariff (USD/kWh)', type: 'number', step: '0.0001', dated: true },
  { key: 'tier', label: 'Tier', hint: '1 is shed first', type: 'number', step: '1' },
];

const show = (key, v) => (v === null || v === '' ? 'none' : key === 'tariffPerKwh' ? f.tariff(v) : key.endsWith('Kw') ? f.power(v) : String(v));

/** What an edit would change, in words; `danger` for the ones that take something away. */
export function describeChanges(site, body) {
  const out = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'effectiveFrom') continue;
    const before = site[key];
    if (before === value) continue;
    const label = FIELDS.find((x) => x.key === key)?.label.replace(/ \(.*\)$/, '') ?? key;
    const danger = (key === 'registered' && value === false) || (key === 'hardCapKw' && value === null && before !== null) || (key === 'allocationKw' && value < before);
    out.push({ key, text: key === 'registered' ? (value ? 'Register the site' : 'Mark the site unregistered (shed first as grey)') : `${label}: ${show(key, before)} → ${show(key, value)}`, danger });
  }
  return out;
}

export function siteSettingsPanel(siteId, onSaved) {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'site-edit-error' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'site-edit-confirm', role: 'alertdialog' });
  const inputs = Object.fromEntries(FIELDS.map((x) => [x.key, h('input', { id: `site-${x.key}`, name: x.key, type: x.type, ...(x.type === 'number' ? { min: '0', step: x.step ?? 'any' } : {}), ...(x.list ? { list: x.list } : {}) })]));
  const registered = h('input', { id: 'site-registered', name: 'registered', type: 'checkbox' });
  const autoEnforce = h('select', { id: 'site-autoEnforce', name: 'autoEnforce' }, h('option', { value: '' }, 'as configured'), h('option', { value: 'true' }, 'on'), h('option', { value: 'false' }, 'off'));
  const effective = h('input', { id: 'site-effectiveFrom', name: 'effectiveFrom', type: 'datetime-local' });
  const companies = h('datalist', { id: 'company-list' });
  const greyNote = h('p', { class: 'warn', 'data-testid': 'grey-note', hidden: true });
  const terms = termsPanel(siteId);
  let site = null;

  const read = () => {
    const body = {};
    for (const x of FIELDS) {
      const raw = inputs[x.key].value.trim();
      if (x.type === 'number') body[x.key] = raw === '' ? (x.nullable ? null : NaN) : Number(raw);
      else body[x.key] = raw;
    }
    body.registered = registered.checked;
    body.autoEnforce = autoEnforce.value === '' ? null : autoEnforce.value === 'true';
    for (const x of FIELDS) if (x.type === 'number' && body[x.key] !== null && !(Number.isFinite(body[x.key]) && body[x.key] >= 0)) return { error: `${x.label}: enter a number of 0 or more.` };
    if (!Number.isInteger(body.tier) || body.tier < 1) return { error: 'Tier: a whole number from 1.' };
    if (!body.name) return { error: 'Name: cannot be empty.' };
    if (!body.region) return { error: 'Region: cannot be empty.' };
    if (effective.value) {
      const ms = localMs(effective.value);
      if (ms === null) return { error: 'Effective from: not a valid time.' };
      body.effectiveFrom = new Date(ms).toISOString();
    }
    // Only what changed goes in the PUT: fields left out keep their values.
    const changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => k === 'effectiveFrom' || site[k] !== v));
    return { body: changed };
  };

  const fill = (s) => {
    site = s;
    for (const x of FIELDS) inputs[x.key].value = s[x.key] === null || s[x.key] === undefined ? '' : String(s[x.key]);
    registered.checked = s.registered;
    autoEnforce.value = s.autoEnforce === null || s.autoEnforce === undefined ? '' : String(s.autoEnforce);
    effective.value = '';
    greyNote.hidden = s.registered;
    setText(greyNote, s.registered ? '' : `Unregistered (grey)${s.regionDeclared ? `, in region ${s.region} as its agent declared` : ''}. Registering it keeps its history: samples, energy and fees so far at the grey tariff.`);
  };

  const save = async (body) => {
    try {
      await put(`/sites/${encodeURIComponent(siteId)}`, body);
      confirmBox.hidden = true;
      setText(error, '');
      onSaved();
      await terms.load();
    } catch (err) {
      setText(error, `Not saved: ${err.message}`);
    }
  };

  const form = h('form', { class: 'site-form', 'data-testid': 'site-edit', onsubmit: (e) => {
    e.preventDefault();
    setText(error, '');
    const r = read();
    if (r.error) return setText(error, r.error);
    const changes = describeChanges(site, r.body);
    if (!changes.length) return setText(error, 'Nothing to save: no field differs from the site.');
    const when = r.body.effectiveFrom ? `from ${f.dateTime(r.body.effectiveFrom)}` : 'from now';
    const dated = changes.some((c) => FIELDS.find((x) => x.key === c.key)?.dated);
    setChildren(confirmBox,
      h('h3', {}, `Save these changes to ${site.name}?`),
      h('ul', {}, changes.map((c) => h('li', { class: c.danger ? 'warn' : '' }, c.text))),
      dated ? h('p', { class: 'muted' }, `Allocation, hard cap and tariff apply ${when}; earlier fees keep the tariff then in force.`) : null,
      h('div', { class: 'confirm-actions' },
        h('button', { type: 'button', class: changes.some((c) => c.danger) ? 'primary danger' : 'primary', 'data-testid': 'site-edit-yes', onclick: (e) => { e.currentTarget.disabled = true; void save(r.body); } }, 'Save'),
        h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, 'Back')));
    confirmBox.hidden = false;
  } },
  greyNote,
  h('div', { class: 'form-grid' },
    FIELDS.map((x) => h('div', { class: 'field' }, h('label', { for: `site-${x.key}` }, x.label), inputs[x.key], x.hint ? h('small', { class: 'muted' }, x.hint) : null)),
    h('div', { class: 'field' }, h('label', { for: 'site-effectiveFrom' }, 'Effective from'), effective, h('small', { class: 'muted' }, 'allocation, cap and tariff; empty: now')),
    h('div', { class: 'field' }, h('label', { for: 'site-autoEnforce' }, 'Auto-enforce'), autoEnforce),
    h('div', { class: 'field check' }, h('label', { for: 'site-registered' }, registered, ' Registered'))),
  companies, error,
  h('button', { type: 'submit', class: 'primary', 'data-testid': 'site-edit-save' }, 'Save changes…'),
  confirmBox);

  const loadCompanies = async () => {
    const body = await get('/companies');
    setChildren(companies, list(body, 'companies').map((c) => h('option', { value: c.id }, c.name)));
  };

  const el = h('div', {},
    h('section', { class: 'panel', 'aria-labelledby': 'manage-site' }, h('h2', { id: 'manage-site' }, 'Manage site'), form),
    terms.el);
  void loadCompanies().catch(() => undefined);
  return {
    el,
    /** A fresh site from the API; the form is refilled only while nobody is editing it. */
    update(s) {
      if (!site || (confirmBox.hidden && !form.contains(document.activeElement))) fill(s);
    },
  };
}

/** The history of a site's allocation, hard cap and tariff (every role may read it). */
export function termsPanel(siteId) {
  const terms = h('div', { 'data-testid': 'site-terms' });
  const load = async () => {
    const body = await get(`/sites/${encodeURIComponent(siteId)}/terms`);
    const now = Date.now();
    const rows = list(body, 'terms').slice().reverse();
    setChildren(terms, h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, ['From', 'Allocation', 'Hard cap', 'Tariff', 'Changed'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((t) => h('tr', { 'data-testid': 'term-row', 'data-future': String(t.effectiveFrom > now) },
        h('td', {}, t.effectiveFrom === 0 ? 'from the start' : f.dateTime(t.effectiveFrom), t.effectiveFrom > now ? h('span', { class: 'chip t-pending' }, 'scheduled') : null),
        h('td', { class: 'num' }, f.power(t.allocationKw)), h('td', { class: 'num' }, t.hardCapKw === null ? 'none' : f.power(t.hardCapKw)),
        h('td', { class: 'num' }, f.tariff(t.tariffPerKwh)), h('td', { class: 'muted' }, f.dateTime(t.changedAt)))))));
  };
  void load().catch(() => undefined);
  return { el: h('section', { class: 'panel', 'aria-labelledby': 'site-terms-h' }, h('h2', { id: 'site-terms-h' }, 'Allocation, hard cap and tariff over time'), terms), load };
}
