// Reads the collector's JSON into the few shapes the views draw. Field names
// follow the /api/v1 OpenAPI document; one place to adapt if it grows.

import { isNum } from './format.js';

export const STATES = ['hashing', 'idle', 'sleeping', 'offline', 'error'];

const num = (...xs) => xs.find(isNum) ?? null;

export function siteOf(s) {
  const counts = s.counts ?? {};
  const compliance = s.compliance ?? {};
  return {
    id: s.id,
    name: s.name ?? s.id,
    region: s.region ?? '',
    regionDeclared: Boolean(s.regionDeclared),
    company: s.company ?? '',
    registered: s.registered !== false,
    flagged: Boolean(s.flagged),
    tier: s.tier ?? null,
    autoEnforce: s.autoEnforce ?? null,
    tariffPerKwh: num(s.tariffPerKwh),
    allocationKw: num(s.allocationKw, 0),
    hardCapKw: num(s.hardCapKw),
    kw: num(s.kw),
    meterKw: num(s.meterKw),
    minerKw: num(s.minerKw),
    averageKw: num(compliance.averageKw),
    thresholdKw: num(compliance.thresholdKw),
    hashrateThs: num(s.hashrateThs),
    counts: Object.fromEntries([...STATES, 'total'].map((k) => [k, num(counts[k], 0)])),
    compliance: complianceOf(s),
    openViolation: compliance.openViolation ?? null,
    agentsOnline: num(s.agentsOnline, 0),
    agentsTotal: num(s.agentsTotal, 0),
    online: Boolean(s.online),
    lastSampleAt: s.lastSampleTs ?? null,
    revision: s.controlRevision ?? null,
    controlMode: s.controlMode ?? null,
    agents: Array.isArray(s.agents) ? s.agents : [],
    reports: Array.isArray(s.reports) ? s.reports : [],
  };
}

/** 'ok' | 'over' | 'violation' | 'unregistered' | 'unknown' */
export function complianceOf(s) {
  const c = s.compliance;
  const status = typeof c === 'string' ? c : c?.status;
  if (s.registered === false) return 'unregistered';
  if (status === 'violation' || c?.openViolation) return 'violation';
  if (status === 'over' || status === 'warning' || status === 'at_risk') return 'over';
  if (status === 'ok') return 'ok';
  if (status === 'no_allocation') return 'no_allocation';
  return status ?? 'no_data';
}

export const COMPLIANCE_LABEL = {
  ok: 'within allocation',
  over: 'over allocation',
  violation: 'violation',
  unregistered: 'unregistered',
  no_data: 'no data',
  no_allocation: 'no allocation',
};

export function minerOf(m) {
  return {
    id: m.miner ?? m.id,
    agent: m.agent ?? '',
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
    site: t.site,
    name: t.name ?? t.site,
    registered: t.registered,
    state: t.state ?? t.status ?? 'pending',
    mode: t.mode ?? null,
    value: num(t.value),
    targetKw: num(t.targetKw),
    baselineKw: num(t.baselineKw),
    currentKw: num(t.currentKw),
    group: t.group ?? null,
    shedKw: num(t.shedKw, t.requestedKw),
    achievedKw: num(t.achievedKw),
    measuredKw: num(t.measuredKw),
    asleep: num(t.asleep),
    level: t.level ?? null,
    baselineThs: num(t.baselineThs),
    currentThs: num(t.currentThs),
    detail: t.detail ?? t.reason ?? null,
  }));
  return {
    id: e.id,
    kind: e.kind,
    value: num(e.value),
    scope: e.scope,
    priority: e.priority ?? 'normal',
    level: e.level ?? 'sleep',
    reason: e.reason ?? '',
    status: e.status ?? 'pending',
    start: e.startTs ?? e.start ?? null,
    end: e.endTs ?? e.end ?? null,
    endedAt: e.endedAt ?? null,
    requestedKw: num(e.requestedKw, sum(targets, 'shedKw')),
    plannedShedKw: num(e.plannedShedKw),
    scopeKw: num(e.scopeKw),
    achievedKw: num(e.achievedKw, sum(targets, 'achievedKw')),
    createdBy: e.createdBy ?? '',
    createdAt: e.createdAt ?? null,
    // Set for events an OpenADR VTN owns: shown with their program and VTN event id, never cancellable here.
    source: e.source ?? null,
    targets,
    warnings: e.warnings ?? [],
    shortfallKw: num(e.shortfallKw),
    /** sleep_count: { requested, planned, shortfall, asleep? } in machines. */
    machines: e.machines ?? null,
  };
}

function sum(items, key) {
  const values = items.map((t) => t[key]).filter(isNum);
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

export const ACTIVE_EVENT = new Set(['scheduled', 'active']);
