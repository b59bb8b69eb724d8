// The open alerts table of the overview: what the collector's alert rules see
// (GET /api/v1/alerts?open=true), one row per alert, newest first.

import { h, setChildren } from '../dom.js';
import * as f from '../format.js';

const ALERT_LABEL = {
  agent_offline: 'Agent offline',
  over_allocation: 'Over allocation',
  control_unconfirmed: 'Control not confirmed',
  telemetry_gap: 'Telemetry gap',
  meter_divergence: 'Meter vs miners',
  hard_cap_exceeded: 'Hard cap exceeded',
  webhook_failing: 'Webhook failing',
};

/** One line of what the rule saw, per kind (details as the API documents them). */
function whatOf(a) {
  const d = a.details ?? {};
  switch (a.kind) {
    case 'agent_offline':
      return d.reason === 'state_offline' ? 'reported offline (its Will)' : `silent, last heard ${f.ago(d.lastSeen)}`;
    case 'over_allocation':
      return `peak ${f.power(d.peakKw)} against ${f.power(d.allocationKw)}`;
    case 'control_unconfirmed':
      return `${Array.isArray(d.targets) ? d.targets.length : 0} target(s) not confirmed in time`;
    case 'telemetry_gap':
      return `${f.int(d.missingSeqs)} message(s) missing`;
    case 'meter_divergence':
      return `meter ${f.power(d.meterKw)}, miners ${f.power(d.minerKw)}`;
    case 'hard_cap_exceeded':
      return `${f.power(d.averageKw)} over the ${f.power(d.hardCapKw)} cap`;
    case 'webhook_failing':
      return `${a.subject}: ${f.int(d.attempts)} attempt(s) failed, last: ${d.lastError ?? 'unknown'}`;
    default:
      return '';
  }
}

export function renderAlerts(el, alerts, sites) {
  if (!alerts.length) return setChildren(el, h('p', { class: 'muted' }, 'No open alerts.'));
  const names = new Map(sites.map((s) => [s.id, s.name]));
  setChildren(el, h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['Alert', 'Site', 'Agent', 'Since', 'What'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, alerts.map((a) =>
      h('tr', { 'data-testid': 'alert-row', 'data-kind': a.kind, 'data-site': a.site ?? '' },
        h('td', {}, h('span', { class: 'chip' }, ALERT_LABEL[a.kind] ?? a.kind)),
        // A site-less alert (a failing webhook target) names its subject instead.
        h('td', {}, a.site ? h('a', { href: `#/site/${encodeURIComponent(a.site)}` }, names.get(a.site) ?? a.site) : (a.subject ?? '—')),
        h('td', {}, a.agent ?? '—'),
        h('td', {}, f.ago(a.openedAt)),
        h('td', {}, whatOf(a)))))));
}
