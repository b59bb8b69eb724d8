// The audit log: who did what, when, from where, and what changed, newest
// first (GET /api/v1/audit), filtered by who, site, action and time, with the
// same filters as a CSV download. Refreshed on the stream's audit events.

import { download, get, list } from '../api.js';
import { h, setChildren, setText } from '../dom.js';
import * as f from '../format.js';
import { keepFresh } from '../refresh.js';

const ACTIONS = [
  ['', 'Every action'],
  ['event.', 'Events (created, cancelled)'],
  ['site.', 'Sites (created, changed, registered, flagged)'],
  ['company.', 'Companies'],
  ['user.', 'Users'],
  ['token.', 'Tokens'],
  ['session.', 'Sign-ins'],
];

const ACTION_LABEL = {
  'event.create': 'created event',
  'event.cancel': 'cancelled event',
  'site.create': 'created site',
  'site.update': 'changed site',
  'site.register': 'registered site',
  'site.flagged': 'flagged unknown site',
  'company.create': 'created company',
  'company.update': 'changed company',
  'company.delete': 'deleted company',
  'user.create': 'created user',
  'user.update': 'changed user',
  'token.create': 'issued token',
  'token.rotate': 'rotated token',
  'token.revoke': 'revoked token',
  'session.sign_in': 'signed in',
  'session.sign_in_failed': 'failed sign-in',
  'session.sign_out': 'signed out',
};

/** What changed, in one line: the fields whose values differ, or the new state's gist. */
export function changeOf(e) {
  const b = e.before && typeof e.before === 'object' ? e.before : null;
  const a = e.after && typeof e.after === 'object' ? e.after : null;
  if (e.action.startsWith('event.') && a) {
    const what = `${a.kind ?? ''} ${a.value ?? ''}`.trim();
    return [what, a.sites?.length ? `on ${a.sites.join(', ')}` : '', a.reason ? `“${a.reason}”` : '', b && b.status !== a.status ? `${b.status} → ${a.status}` : ''].filter(Boolean).join(' · ');
  }
  if (b && a) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
    return keys.map((k) => `${k}: ${JSON.stringify(b[k] ?? null)} → ${JSON.stringify(a[k] ?? null)}`).join(', ') || 'no field changed';
  }
  if (a) return Object.entries(a).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  return '';
}

export function mount(container) {
  const actor = h('input', { id: 'au-actor', placeholder: 'anyone', spellcheck: 'false', size: 12 });
  const site = h('input', { id: 'au-site', placeholder: 'any site', spellcheck: 'false', size: 12 });
  const action = h('select', { id: 'au-action' }, ACTIONS.map(([v, label]) => h('option', { value: v }, label)));
  const from = h('input', { id: 'au-from', type: 'date' });
  const to = h('input', { id: 'au-to', type: 'date' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const count = h('p', { class: 'muted', 'data-testid': 'audit-count' });
  const body = h('tbody');

  const query = () => ({
    actor: actor.value.trim(), site: site.value.trim(), action: action.value,
    from: from.value ? Date.parse(`${from.value}T00:00:00Z`) : '', to: to.value ? Date.parse(`${to.value}T23:59:59.999Z`) : '', limit: 500,
  });
  const csv = h('button', { type: 'button', 'data-testid': 'audit-csv', onclick: async () => {
    setText(error, '');
    try {
      await download('/audit', { ...query(), limit: 10_000, format: 'csv' }, 'hashwatt-audit.csv');
    } catch (err) {
      setText(error, `Download failed: ${err.message}`);
    }
  } }, 'Download CSV');

  container.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit log')),
    h('section', { class: 'panel' },
      h('form', { class: 'inline-form', 'data-testid': 'audit-filter', onchange: () => fresh.now(), onsubmit: (e) => { e.preventDefault(); fresh.now(); } },
        h('label', { for: 'au-actor' }, 'Who'), actor, h('label', { for: 'au-site' }, 'Site'), site, h('label', { for: 'au-action' }, 'Action'), action,
        h('label', { for: 'au-from' }, 'From'), from, h('label', { for: 'au-to' }, 'To'), to, h('button', { type: 'submit' }, 'Filter'), csv),
      error, count,
      h('table', { class: 'data', 'data-testid': 'audit-table' },
        h('thead', {}, h('tr', {}, ['When', 'Who', 'From', 'Action', 'Site', 'Subject', 'Change'].map((t) => h('th', { scope: 'col' }, t)))),
        body)),
  );

  const load = async () => {
    setText(error, '');
    const entries = list(await get('/audit', query()), 'entries');
    setText(count, entries.length >= 500 ? 'The newest 500 entries; narrow the filter or download the CSV for more.' : `${entries.length} entries`);
    setChildren(body, entries.map((e) =>
      h('tr', { 'data-testid': 'audit-row', 'data-action': e.action, 'data-actor': e.actor, 'data-actor-kind': e.actorKind },
        h('td', { class: 'num' }, f.dateTime(e.ts)),
        h('td', {}, h('strong', { 'data-testid': 'audit-actor' }, e.actor), ' ', h('span', { class: 'chip' }, e.actorKind)),
        h('td', {}, e.ip ?? '—'),
        h('td', { 'data-testid': 'audit-action' }, ACTION_LABEL[e.action] ?? e.action),
        h('td', {}, e.site ? h('a', { href: `#/site/${encodeURIComponent(e.site)}` }, e.site) : '—'),
        h('td', {}, e.target ?? '—'),
        h('td', { class: 'change' }, changeOf(e)))));
  };
  const fresh = keepFresh(load, { types: ['audit'], minIntervalMs: 1000, pollMs: 30_000 });
  return () => fresh.stop();
}
