// Reads the collector's JSON into the few shapes the views draw. Field names
// follow the /api/v1 OpenAPI document; one place to adapt if it grows.

import { isNum } from './format.js';

export const STATES = ['hashing', 'idle', 'sleeping', 'offline', 'error'];

const num = (...xs) => xs.find(isNum) ?? null;

export function siteOf(s) {
  const live = s.live ?? s.current ?? {};
  const counts = s.counts ?? live.counts ?? s.asics ?? {};
  const compliance = s.compliance ?? {};
  return {
    id: s.id ?? s.site,
    name: s.name ?? s.id ?? s.site,
    region: s.region ?? '',
    company: s.company ?? '',
    registered: s.registered !== false,
    flagged: Boolean(s.flagged),
    tier: s.tier ?? null,
    tariffPerKwh: num(s.tariffPerKwh),
    allocationKw: num(s.allocationKw, s.allocation_kw, 0),
    hardCapKw: num(s.hardCapKw),
    kw: num(live.kw, s.kw, live.siteKw, s.siteKw, live.meterKw, s.meterKw, live.minerKw, s.minerKw),
    meterKw: num(live.meterKw, s.meterKw),
    minerKw: num(live.minerKw, s.minerKw),
    averageKw: num(compliance.averageKw, compliance.avgKw, s.averageKw),
    hashrateThs: num(live.hashrateThs, s.hashrateThs),
    counts: Object.fromEntries([...STATES, 'total'].map((k) => [k, num(counts[k], s[k], 0)])),
    compliance: complianceOf(s),
    agentsOnline: num(s.agentsOnline, s.agents?.online, live.agentsOnline, 0),
    agentsTotal: num(s.agentsTotal, s.agents?.total, Array.isArray(s.agents) ? s.agents.length : undefined, 0),
    online: s.online ?? (num(s.agentsOnline, s.agents?.online, 0) > 0),
    lastSampleAt: s.lastSampleAt ?? s.sampleTs ?? live.ts ?? s.ts ?? null,
    revision: s.revision ?? live.revision ?? null,
    openViolation: s.openViolation ?? s.violation ?? null,
    control: s.control ?? null,
  };
}

/** 'ok' | 'over' | 'violation' | 'unregistered' | 'unknown' */
export function complianceOf(s) {
  const c = s.compliance;
  const status = typeof c === 'string' ? c : c?.status ?? c?.state ?? s.complianceStatus;
  if (s.registered === false) return 'unregistered';
  if (status === 'violation' || status === 'violating' || s.openViolation) return 'violation';
  if (status === 'over' || status === 'warning' || status === 'at_risk') return 'over';
  if (status === 'ok' || status === 'compliant' || status === 'under') return 'ok';
  return status ?? 'unknown';
}

export const COMPLIANCE_LABEL = {
  ok: 'within allocation',
  over: 'over allocation',
  violation: 'violation',
  unregistered: 'unregistered',
  unknown: 'no data',
  no_data: 'no data',
};

export function minerOf(m) {
  return {
    id: m.id ?? m.miner,
    model: m.model ?? '',
    firmware: m.firmware ?? '',
    state: m.state ?? 'offline',
    powerW: num(m.powerW, m.w, m.watts),
    powerSource: m.powerSource ?? m.power_source ?? null,
    hashrateThs: num(m.hashrateThs, m.ths),
    efficiencyJth: num(m.efficiencyJth, m.jth),
    maxTempC: num(m.maxTempC, m.tempC, m.temp_c),
    asleepByAgent: Boolean(m.asleepByAgent ?? m.asleep_by_agent),
    ts: m.ts ?? m.readAt ?? null,
  };
}

export function eventOf(e) {
  const targets = (e.targets ?? e.sites ?? []).map((t) => ({
    site: t.site ?? t.siteId ?? t.id,
    name: t.name ?? t.siteName ?? t.site,
    registered: t.registered,
    state: t.state ?? t.status ?? 'pending',
    mode: t.mode ?? null,
    value: num(t.value),
    targetKw: num(t.targetKw),
    baselineKw: num(t.baselineKw, t.currentKw),
    shedKw: num(t.shedKw, t.requestedKw),
    achievedKw: num(t.achievedKw),
    measuredKw: num(t.measuredKw, t.kw),
    detail: t.detail ?? t.reason ?? null,
  }));
  return {
    id: e.id,
    kind: e.kind,
    value: num(e.value),
    scope: e.scope,
    priority: e.priority ?? 'normal',
    reason: e.reason ?? '',
    status: e.status ?? 'pending',
    start: e.start ?? e.startTs ?? e.startsAt ?? null,
    end: e.end ?? e.endTs ?? e.endsAt ?? null,
    requestedKw: num(e.requestedKw, e.requested_kw, sum(targets, 'shedKw')),
    achievedKw: num(e.achievedKw, e.achieved?.kw, sum(targets, 'achievedKw')),
    createdBy: e.createdBy ?? '',
    createdAt: e.createdAt ?? null,
    targets,
    warnings: e.warnings ?? e.plan?.warnings ?? [],
    shortfallKw: num(e.shortfallKw, e.plan?.shortfallKw),
  };
}

function sum(items, key) {
  const values = items.map((t) => t[key]).filter(isNum);
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

export const ACTIVE_EVENT = new Set(['pending', 'scheduled', 'active', 'running', 'sent', 'holding']);
