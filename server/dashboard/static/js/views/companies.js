// Companies (farm owners): each one's sites, their combined draw against the
// company cap (the 100 MW rule holds per owner, across sites), its allocation
// and cap violations. Operators and grid dispatchers create and edit them; a
// site joins a company through its own settings.

import { get, list, post, put } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { keepFresh } from '../refresh.js';

const STATUS = { ok: 'within cap', violation: 'over cap', no_cap: 'no cap', no_data: 'no data' };
const STATUS_CLASS = { ok: 'c-ok', violation: 'c-violation', no_cap: 'c-no_data', no_data: 'c-no_data' };

export function mount(container, ctx) {
  const table = h('div', { 'data-testid': 'company-list' });
  const formBox = h('div');
  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Companies')),
    h('p', { class: 'muted' }, 'A company\'s hard cap holds across all its sites: over it, a company violation (and, with auto-limit, one limit event over its sites). Sites join a company in their own settings.'),
    h('section', { class: 'panel' }, h('h2', {}, 'Companies'), table),
    ctx.canCurtail ? h('section', { class: 'panel', 'aria-labelledby': 'company-form-h' }, h('h2', { id: 'company-form-h' }, 'New company or change one'), formBox) : null,
  );
  let companies = [];
  let sites = new Map();
  const form = ctx.canCurtail ? companyForm(formBox, () => companies, () => fresh.now()) : null;
  const load = async () => {
    const [cBody, sBody] = await Promise.all([get('/companies'), get('/sites')]);
    companies = list(cBody, 'companies');
    sites = new Map(list(sBody, 'sites').map((s) => [s.id, s.name ?? s.id]));
    render(table, companies, sites, ctx, (c) => form?.edit(c));
  };
  const fresh = keepFresh(load, { types: ['site', 'company_violation', 'open'], minIntervalMs: 2000, pollMs: 15_000 });
  return () => fresh.stop();
}

function render(el, companies, sites, ctx, onEdit) {
  if (!companies.length) return setChildren(el, h('p', { class: 'muted' }, 'No companies yet.'));
  setChildren(el, h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['Company', 'Sites', 'Draw now', 'Average', 'Hard cap', 'Allocation', 'Status', ''].map((t) => h('th', { scope: 'col', class: ['Draw now', 'Average', 'Hard cap', 'Allocation'].includes(t) ? 'num' : '' }, t)))),
    h('tbody', {}, companies.map((c) => h('tr', { 'data-testid': 'company-row', 'data-company': c.id, 'data-status': c.status },
      h('td', {}, h('strong', {}, c.name), c.name !== c.id ? h('div', { class: 'muted small' }, c.id) : null),
      h('td', {}, c.sites.length ? c.sites.map((id, i) => [i ? ', ' : '', h('a', { href: `#/site/${encodeURIComponent(id)}` }, sites.get(id) ?? id)]) : h('span', { class: 'muted' }, 'none')),
      h('td', { class: 'num' }, f.power(c.kw)),
      h('td', { class: 'num' }, f.power(c.averageKw)),
      h('td', { class: 'num' }, c.hardCapKw === null ? 'none' : f.power(c.hardCapKw)),
      h('td', { class: 'num' }, c.allocationKw > 0 ? `${f.power(c.allocationKw)}${f.isNum(c.kw) ? ` · ${f.percent(c.kw / c.allocationKw)}` : ''}` : 'none'),
      h('td', {}, h('span', { class: `chip ${STATUS_CLASS[c.status] ?? ''}`, 'data-testid': 'company-status' }, STATUS[c.status] ?? c.status),
        c.openViolation ? h('div', { class: 'muted small' }, `since ${f.ago(c.openViolation.openedAt)}, peak ${f.power(c.openViolation.peakKw)}`) : null,
        c.autoLimit ? h('div', { class: 'muted small' }, 'auto-limit on') : null),
      h('td', {}, ctx.canCurtail ? h('button', { type: 'button', 'data-testid': 'company-edit', onclick: () => onEdit(c) }, 'Edit') : null))))));
}

function companyForm(box, getCompanies, onSaved) {
  const id = h('input', { id: 'co-id', name: 'id', type: 'text', maxlength: '200', required: true });
  const name = h('input', { id: 'co-name', name: 'name', type: 'text', maxlength: '200', required: true });
  const allocation = h('input', { id: 'co-allocation', name: 'allocationKw', type: 'number', min: '0', step: 'any', value: '0' });
  const cap = h('input', { id: 'co-cap', name: 'hardCapKw', type: 'number', min: '0', step: 'any' });
  const autoLimit = h('input', { id: 'co-auto', name: 'autoLimit', type: 'checkbox' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'company-error' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'company-confirm', role: 'alertdialog' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'company-save' }, 'Save company…');
  const field = (label, control, hint) => h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);

  const form = h('form', { class: 'company-form', 'data-testid': 'company-form', onsubmit: (e) => {
    e.preventDefault();
    setText(error, '');
    const body = { id: id.value.trim(), name: name.value.trim(), allocationKw: Number(allocation.value || 0), hardCapKw: cap.value.trim() === '' ? null : Number(cap.value), autoLimit: autoLimit.checked };
    if (!body.id || !body.name) return setText(error, 'Id and name: both needed (the id is what sites name in their company field).');
    if (!(body.allocationKw >= 0) || (body.hardCapKw !== null && !(body.hardCapKw >= 0))) return setText(error, 'Allocation and hard cap: numbers of 0 or more (kW).');
    const existing = getCompanies().find((c) => c.id === body.id);
    const lines = existing
      ? [['Name', existing.name, body.name], ['Allocation', f.power(existing.allocationKw), f.power(body.allocationKw)], ['Hard cap', existing.hardCapKw === null ? 'none' : f.power(existing.hardCapKw), body.hardCapKw === null ? 'none' : f.power(body.hardCapKw)], ['Auto-limit', existing.autoLimit ? 'on' : 'off', body.autoLimit ? 'on' : 'off']].filter(([, a, b]) => a !== b)
      : [['Create', '', `${body.name}: allocation ${f.power(body.allocationKw)}, hard cap ${body.hardCapKw === null ? 'none' : f.power(body.hardCapKw)}, auto-limit ${body.autoLimit ? 'on' : 'off'}`]];
    if (!lines.length) return setText(error, 'Nothing to save: no field differs.');
    const danger = existing && ((existing.hardCapKw !== null && body.hardCapKw === null) || (existing.autoLimit && !body.autoLimit));
    setChildren(confirmBox,
      h('h3', {}, existing ? `Change ${existing.name}?` : 'Create this company?'),
      h('ul', {}, lines.map(([k, a, b]) => h('li', {}, existing ? `${k}: ${a} → ${b}` : b))),
      h('div', { class: 'confirm-actions' },
        h('button', { type: 'button', class: danger ? 'primary danger' : 'primary', 'data-testid': 'company-confirm-yes', onclick: async (ev) => {
          const button = ev.currentTarget;
          button.disabled = true;
          try {
            if (existing) await put(`/companies/${encodeURIComponent(body.id)}`, { name: body.name, allocationKw: body.allocationKw, hardCapKw: body.hardCapKw, autoLimit: body.autoLimit });
            else await post('/companies', body);
            confirmBox.hidden = true;
            form.reset();
            id.disabled = false;
            onSaved();
          } catch (err) {
            setText(error, `Not saved: ${err.message}`);
            button.disabled = false;
          }
        } }, 'Save'),
        h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; } }, 'Back')));
    confirmBox.hidden = false;
  } },
  h('div', { class: 'form-grid' }, field('Id', id, 'what sites name in their company field'), field('Name', name), field('Allocation (kW)', allocation), field('Hard cap (kW)', cap, 'across its sites; empty: none'),
    h('div', { class: 'field check' }, h('label', { for: 'co-auto' }, autoLimit, ' Auto-limit its sites to the cap'))),
  error, submit, confirmBox);
  box.append(form);
  return {
    edit(c) {
      id.value = c.id;
      id.disabled = true;
      name.value = c.name;
      allocation.value = String(c.allocationKw);
      cap.value = c.hardCapKw === null ? '' : String(c.hardCapKw);
      autoLimit.checked = c.autoLimit;
      name.focus();
    },
  };
}
