import { z } from 'zod';
import { IdSchema } from '../../shared/protocol/ids.js';
import { CompanyFieldsSchema, CompanySettingsSchema, RoleSchema, SiteFieldsSchema, SiteSettingsSchema } from '../config/collector-config.js';
import { EventRequestSchema, EVENT_KINDS, EVENT_LEVELS } from '../events/event-spec.js';
import { EVENT_STATUSES, TARGET_STATES } from '../store/event-repository.js';
import { ALERT_KINDS } from '../alerts/alert-rules.js';

/** Request and response shapes of the HTTP API; the OpenAPI document is generated from these. */

export const SiteCreateSchema = SiteSettingsSchema;
// From the fields without defaults: zod's .partial() keeps a .default(), which filled
// every left-out field (a PUT of allocationKw alone reset region, company, tariff and tier).
export const SiteUpdateSchema = SiteFieldsSchema.omit({ id: true }).partial().extend({
  effectiveFrom: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]).optional()
    .describe('when allocationKw, hardCapKw and tariffPerKwh in this update take effect (ms or ISO 8601); default now. Earlier periods keep the terms then in force'),
});
export const SiteParamsSchema = z.object({ id: IdSchema });
export const EventParamsSchema = z.object({ id: z.string().min(1).max(64) });

const msOrIso = z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true })]);
export const SeriesQuerySchema = z.object({
  from: msOrIso.optional().describe('ms since the epoch or ISO 8601; default: to − 1 h'),
  to: msOrIso.optional().describe('default: now'),
  step: z.coerce.number().int().min(1000).max(86_400_000).optional().describe('bucket size in ms; ≥ 60000 reads 1-minute rollups, ≥ 3600000 hourly ones'),
});
export const MinersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  offset: z.coerce.number().int().min(0).default(0),
});
export const EventCreateQuerySchema = z.object({ dryRun: z.enum(['true', 'false']).optional() });
export const EventListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const ViolationQuerySchema = z.object({
  site: IdSchema.optional(),
  open: z.enum(['true', 'false']).optional(),
  from: msOrIso.optional(),
  to: msOrIso.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export const AlertQuerySchema = z.object({
  open: z.enum(['true', 'false']).optional().describe('true: only alerts still open'),
  site: IdSchema.optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a day as YYYY-MM-DD');
export const EnergyQuerySchema = z.object({
  from: Day.describe('first day, UTC'),
  to: Day.describe('last day, UTC, inclusive'),
  site: IdSchema.optional(),
  format: z.enum(['json', 'csv']).optional().describe('csv also with Accept: text/csv'),
});
export const StreamQuerySchema = z.object({ token: z.string().optional().describe('bearer token, for EventSource which cannot set headers') });

export { EventRequestSchema };

export const CountsSchema = z.object({ hashing: z.number(), idle: z.number(), sleeping: z.number(), offline: z.number(), error: z.number(), total: z.number() });
export const ViolationSchema = z.object({
  id: z.number(), site: z.string(), openedAt: z.number(), closedAt: z.number().nullable(), allocationKw: z.number(), thresholdKw: z.number(),
  peakKw: z.number(), energyOverKwh: z.number(), durationS: z.number(),
});
export const ComplianceSchema = z.object({
  status: z.enum(['no_data', 'no_allocation', 'ok', 'over', 'violation']),
  averageKw: z.number().nullable(),
  thresholdKw: z.number(),
  openViolation: z.object({ openedAt: z.number(), peakKw: z.number(), energyOverKwh: z.number() }).nullable(),
});
export const SiteSummarySchema = z.object({
  id: z.string(), name: z.string(), region: z.string(),
  regionDeclared: z.boolean().describe('the region was declared by the site\'s own agent (birth), not verified by a person'),
  latitude: z.number().nullable(), longitude: z.number().nullable(),
  company: z.string(), registered: z.boolean(),
  flagged: z.boolean().describe('an unknown site that reported and was created unregistered'),
  allocationKw: z.number(), hardCapKw: z.number().nullable(), tariffPerKwh: z.number(), tier: z.number(), autoEnforce: z.boolean().nullable(),
  kw: z.number().describe('meter where present, else the miner sum'), meterKw: z.number().nullable(), minerKw: z.number(), hashrateThs: z.number(),
  counts: CountsSchema, compliance: ComplianceSchema, online: z.boolean(), agentsOnline: z.number(), agentsTotal: z.number(),
  lastSampleTs: z.number().nullable(), controlRevision: z.number().nullable(), controlMode: z.string().nullable(),
});
export const SiteTermsSchema = z.object({
  site: z.string(),
  terms: z.array(z.object({
    effectiveFrom: z.number().describe('ms since the epoch; 0: since the site exists'), allocationKw: z.number(), hardCapKw: z.number().nullable(),
    tariffPerKwh: z.number(), changedAt: z.number().describe('when the change was made'),
  })),
});
export const AgentSchema = z.object({
  site: z.string(), agent: z.string(), online: z.boolean(), session: z.number().nullable(), lastSeen: z.number().nullable(),
  sampleTs: z.number().nullable(), kw: z.number().nullable(), birth: z.unknown(),
});
export const SiteDetailSchema = SiteSummarySchema.extend({
  agents: z.array(AgentSchema),
  control: z.unknown().nullable(),
  reports: z.array(z.object({ revision: z.number(), status: z.string(), reason: z.string().nullable(), detail: z.string().nullable(), achievedKw: z.number().nullable(), targetKw: z.number().nullable(), ts: z.number(), receivedAt: z.number() })),
  violations: z.array(ViolationSchema),
});
export const SeriesSchema = z.object({
  site: z.string(), from: z.number(), to: z.number(), step: z.number(), allocationKw: z.number(),
  points: z.array(z.object({ ts: z.number(), kw: z.number(), kwMax: z.number(), minerKw: z.number(), hashrateThs: z.number() })),
});
export const MinerTableSchema = z.object({
  site: z.string(), total: z.number(),
  miners: z.array(z.object({ miner: z.string(), agent: z.string(), model: z.string(), firmware: z.string(), state: z.string(), w: z.number().nullable(), powerSource: z.string().nullable(), ths: z.number(), jth: z.number().nullable(), tempC: z.number().nullable(), asleepByAgent: z.boolean().nullable(), ts: z.number() })),
});
export const TargetSchema = z.object({
  site: z.string(), state: z.enum(TARGET_STATES), mode: z.string(), value: z.number().nullable().describe('kW cap for max_kw, machines for sleep_count, null for full'),
  targetKw: z.number().nullable(), baselineKw: z.number(),
  shedKw: z.number().describe('kW planned to shed'), revision: z.number().nullable(),
  measuredKw: z.number().nullable().describe('site draw measured at the target\'s last state change'),
  achievedKw: z.number().nullable().describe('kW shed: baseline − measured (live while the event runs), as the event\'s achievedKw'),
  currentKw: z.number().nullable().describe('site draw now, while the event is scheduled or active'),
  baselineMachines: z.number().nullable().describe('sleep_count: machines hashing when the target was planned'),
  asleep: z.number().nullable().describe('sleep_count, while active: machines of the target asleep now'),
  detail: z.string().nullable(), updatedAt: z.number(),
  level: z.string().nullable().describe('sleep or power_target: what the site was sent (auto resolved per agent from its birth); null until sent'),
  baselineThs: z.number().nullable().describe('site hashrate when the event was planned'),
  currentThs: z.number().nullable().describe('site hashrate now (live events): the TH/s kept'),
});
const MachinesSchema = z.object({
  requested: z.number(), planned: z.number(), shortfall: z.number().describe('machines asked for beyond those hashing in scope'),
});
export const EventSchema = z.object({
  id: z.string(), kind: z.enum(EVENT_KINDS), value: z.number().nullable(), scope: z.unknown(), startTs: z.number(), endTs: z.number(),
  priority: z.enum(['normal', 'high', 'emergency']), level: z.enum(EVENT_LEVELS), reason: z.string(), status: z.enum(EVENT_STATUSES),
  requestedKw: z.number(), achievedKw: z.number().describe('baseline − measured, summed over the targets, live'),
  requestedMw: z.number(), achievedMw: z.number(), createdBy: z.string(), createdAt: z.number(), endedAt: z.number().nullable(),
  source: z.object({ kind: z.literal('openadr'), ven: z.string(), programId: z.string(), programName: z.string(), vtnEventId: z.string(), intervalId: z.number() }).nullable()
    .describe('set for events a system owns (an OpenADR VTN event interval, docs/openadr.md): those are read-only here'),
  counts: z.record(z.string(), z.number()), targets: z.array(TargetSchema),
  machines: MachinesSchema.extend({ asleep: z.number().nullable().describe('machines asleep now, while active') }).nullable().describe('sleep_count events: progress in machines; null for kW events'),
});
export const PlanSchema = z.object({
  dryRun: z.literal(true), requestedKw: z.number(), plannedShedKw: z.number(),
  shortfallKw: z.number().describe('kW the scope cannot give; 0 for sleep_count, whose shortfall is machines.shortfall'), scopeKw: z.number(),
  machines: MachinesSchema.nullable().describe('sleep_count: machines requested, planned and short; null for kW events'),
  targets: z.array(z.object({ site: z.string(), mode: z.string(), value: z.number().nullable(), targetKw: z.number(), baselineKw: z.number(), shedKw: z.number(), group: z.string(), baselineMachines: z.number().nullable() })),
});
export const EnergySchema = z.object({
  from: z.string(), to: z.string(),
  rows: z.array(z.object({ site: z.string(), day: z.string(), kwh: z.number(), source: z.enum(['meter', 'integrated']), minutes: z.number(), tariffPerKwh: z.number(), fee: z.number(), registered: z.boolean() })),
  totals: z.object({ kwh: z.number(), fee: z.number() }),
});
export const AlertSchema = z.object({
  id: z.number(),
  kind: z.enum(ALERT_KINDS).describe('agent_offline, over_allocation (an open violation), control_unconfirmed (a target not confirmed in time after it was sent), telemetry_gap, meter_divergence (meter vs miner sum), hard_cap_exceeded, webhook_failing (a notification target failing; subject names it)'),
  site: z.string().nullable().describe('null for webhook_failing'), subject: z.string().nullable().describe('the webhook target of webhook_failing'), agent: z.string().nullable().describe('for agent_offline, telemetry_gap and meter_divergence'),
  openedAt: z.number(), closedAt: z.number().nullable(),
  details: z.record(z.string(), z.unknown()).describe('what the rule saw when the alert opened (kW, thresholds, event ids, missing seqs)'),
});
export const MeSchema = z.object({
  name: z.string().describe('the username, or the service token\'s name in the collector config'), role: RoleSchema,
  kind: z.enum(['user', 'service']).describe('a named user (token or dashboard session) or a service token of the YAML'),
  via: z.enum(['token', 'session']),
});
export const ErrorSchema = z.object({
  error: z.string().describe('machine-readable code'),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('one entry per bad field, path as where.field (body.allocationKw)'),
});

export const CompanyCreateSchema = CompanySettingsSchema;
export const CompanyUpdateSchema = CompanyFieldsSchema.omit({ id: true }).partial();
export const CompanyParamsSchema = z.object({ id: CompanyFieldsSchema.shape.id });
export const CompanyViolationSchema = z.object({
  id: z.number(), company: z.string(), openedAt: z.number(), closedAt: z.number().nullable(), capKw: z.number(),
  peakKw: z.number().describe('highest combined rolling average while open'), sites: z.array(z.string()).describe('the company\'s sites when it opened'), durationS: z.number(),
});
export const CompanySchema = z.object({
  id: z.string(), name: z.string(), allocationKw: z.number(), hardCapKw: z.number().nullable(), autoLimit: z.boolean(),
  sites: z.array(z.string()), kw: z.number().describe('combined draw of its sites now'),
  averageKw: z.number().nullable().describe('combined rolling average (the compliance window) the cap is held to'),
  status: z.enum(['no_cap', 'no_data', 'ok', 'violation']), openViolation: CompanyViolationSchema.nullable(),
});
export const CompanyDetailSchema = CompanySchema.extend({ violations: z.array(CompanyViolationSchema) });
