import { z } from 'zod';
import { BrokerConfigSchema } from '../../shared/config/broker-config.js';
import { IdSchema } from '../../shared/protocol/ids.js';
import { shareGroupProblem } from '../../shared/protocol/topics.js';
import { DEFAULT_BOUNDS } from '../ingest/plausibility.js';
import { AuthConfigSchema, NotificationsConfigSchema } from './notify-config.js';
import { OpenAdrConfigSchema } from '../openadr/openadr-config.js';
import { ClusterConfigSchema, DEFAULT_CLUSTER_CONFIG } from '../cluster/cluster-config.js';
import { StoreConfigSchema } from '../store/open-store.js';

/** admin: everything the other roles may, and managing users and tokens. */
export const ROLES = ['viewer', 'operator', 'grid', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** sha256 of the token in hex; the plain token never sits in a config file. */
export const TokenConfigSchema = z.object({
  name: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of the token as 64 lower-case hex digits (echo -n TOKEN | sha256sum)'),
  role: RoleSchema,
});

/** A collector on its own keeps its broker session an hour, so a restart finds what was queued meanwhile. */
const ALONE_DEFAULTS = { gapTimeoutS: 60, sessionExpiryS: 3600 };

/**
 * In a share group the broker keeps handing a dead collector's session its turn
 * of the messages until the session expires (Mosquitto 2 does), and agents send
 * those again only after their ack timeout (agent `outbox.ackTimeoutMs`, 60 s).
 * So: no session kept (expiry 0, a clean session): the moment a collector's
 * connection drops, the live ones get every message. With 10 s, the failover
 * bench's acceptances were all committed 24.6 s after a kill -9; with 0, 9.3 s.
 * And a gap timeout longer than the resend, so a seq lost with a dead collector
 * is filled by the resend instead of given up as a gap.
 */
const SHARE_GROUP_DEFAULTS = { gapTimeoutS: 120, sessionExpiryS: 0 };

/** Upper bound of any kW a person sets: 1,000 GW. Far above any grid, and x(1 + tolerance) stays finite. */
export const MAX_KW = 1e9;

/**
 * The fields of a site that a person sets, without defaults: the update body
 * (PUT) is these, all optional, so a field left out keeps its value.
 */
export const SiteFieldsSchema = z.object({
  id: IdSchema,
  name: z.string().min(1).max(200),
  region: z.string().min(1).max(100),
  company: z.string().max(200),
  registered: z.boolean(),
  allocationKw: z.number().finite().nonnegative().max(MAX_KW),
  hardCapKw: z.number().finite().nonnegative().max(MAX_KW).nullable(),
  tariffPerKwh: z.number().finite().nonnegative().max(1e6),
  /** Curtailment tier: lower tiers are shed first (tier 1 is the most interruptible). */
  tier: z.number().int().min(1).max(100),
  /** Overrides compliance.autoEnforce for this site; null follows the global setting. */
  autoEnforce: z.boolean().nullable(),
});

/** A site as created (config file, POST): left-out fields take their defaults. */
export const SiteSettingsSchema = SiteFieldsSchema.extend({
  region: SiteFieldsSchema.shape.region.default('default'),
  company: SiteFieldsSchema.shape.company.default(''),
  registered: SiteFieldsSchema.shape.registered.default(true),
  allocationKw: SiteFieldsSchema.shape.allocationKw.default(0),
  hardCapKw: SiteFieldsSchema.shape.hardCapKw.default(null),
  tariffPerKwh: SiteFieldsSchema.shape.tariffPerKwh.default(0),
  tier: SiteFieldsSchema.shape.tier.default(1),
  autoEnforce: SiteFieldsSchema.shape.autoEnforce.default(null),
});
export type SiteSettings = z.infer<typeof SiteSettingsSchema>;

/** A farm owner (company); its sites are those whose `company` is this id. */
export const CompanyFieldsSchema = z.object({
  id: z.string().min(1).max(200).regex(/^[^/?#]+$/, 'no /, ? or # (it is part of URLs)'),
  name: z.string().min(1).max(200),
  /** kW the company may draw across its sites (0: none); shown against the combined draw. */
  allocationKw: z.number().finite().nonnegative().max(MAX_KW),
  /** The combined draw of its sites must not pass this (the 100 MW rule): over it, a company violation. */
  hardCapKw: z.number().finite().nonnegative().max(MAX_KW).nullable(),
  /** Over the cap: limit its sites to the cap together, spread by the curtailment planner's rules. */
  autoLimit: z.boolean(),
});
export const CompanySettingsSchema = CompanyFieldsSchema.extend({
  allocationKw: CompanyFieldsSchema.shape.allocationKw.default(0),
  hardCapKw: CompanyFieldsSchema.shape.hardCapKw.default(null),
  autoLimit: CompanyFieldsSchema.shape.autoLimit.default(false),
});
export type CompanySettings = z.infer<typeof CompanySettingsSchema>;

export const ComplianceConfigSchema = z.object({
  /** Rolling average window of site kW. */
  windowS: z.number().positive().default(300),
  /** A site is over when the rolling average exceeds allocation × (1 + tolerance). */
  tolerance: z.number().min(0).max(10).default(0.05),
  /** How long it must stay over before a violation opens. */
  graceS: z.number().nonnegative().default(600),
  /** A violation closes when the average is at or below allocation × (1 + tolerance − hysteresis) for graceS. */
  hysteresis: z.number().min(0).max(1).default(0.02),
  /** How long the average must stay under the close line; defaults to graceS. */
  closeAfterS: z.number().nonnegative().optional(),
  autoEnforce: z.boolean().default(false),
});

/** Alert thresholds (docs/operations.md#what-to-monitor); alerts are rows in the database, SSE `alert` events and hashwatt_alerts_open{kind}. */
export const AlertsConfigSchema = z.object({
  /** How often the evaluator looks at every site and agent. */
  evaluateEveryS: z.number().positive().default(10),
  /** An agent is offline when its retained state says so, or no telemetry came for this many poll intervals. */
  offlineAfterPolls: z.number().positive().default(6),
  /** Poll interval assumed for an agent whose birth does not say. */
  defaultPollIntervalS: z.number().positive().default(10),
  /** A site target sent this long ago and not confirmed from telemetry opens control_unconfirmed. */
  controlConfirmTimeoutS: z.number().positive().default(300),
  /** An agent with a telemetry gap recorded within this many seconds has a telemetry_gap alert open. */
  telemetryGapWindowS: z.number().positive().default(3600),
  /** Meter vs miner sum: open when |meter − miners| / max(meter, miners) exceeds divergenceRatio for divergenceForS. */
  divergenceRatio: z.number().positive().max(10).default(0.2),
  divergenceForS: z.number().nonnegative().default(600),
  /** Below this draw (both readings) the comparison is noise and is skipped. */
  divergenceMinKw: z.number().nonnegative().default(5),
});
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;

export const CollectorConfigSchema = z.object({
  /** External broker; leave out to run the embedded one. */
  broker: BrokerConfigSchema.optional(),
  embeddedBroker: z
    .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(1883) })
    .default({ host: '127.0.0.1', port: 1883 }),
  /** Folder of the SQLite file (collector.db), and of local state with any store. */
  dataDir: z.string().min(1),
  /** Where the collector stores: `sqlite` (embedded, default) or `postgres` (shared by several collectors; docs/postgres-store.md). */
  store: StoreConfigSchema.default({ kind: 'sqlite' }),
  /** How collectors sharing a PostgreSQL store choose their one leader (docs/architecture.md, "Leader and fencing"). */
  cluster: ClusterConfigSchema.default(DEFAULT_CLUSTER_CONFIG),
  signing: z.object({ privateKeyFile: z.string().min(1), publicKeyFile: z.string().min(1) }),
  http: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Serve HTTPS with this PEM certificate and key (the session cookie is then Secure). */
      tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      /** Behind a reverse proxy that terminates TLS: trust its X-Forwarded-For/-Proto (client address in the audit log, Secure cookie). */
      trustProxy: z.boolean().default(false),
    })
    .default({ host: '127.0.0.1', port: 8080, trustProxy: false }),
  tokens: z.array(TokenConfigSchema).default([]),
  sites: z.array(SiteSettingsSchema).default([]),
  companies: z.array(CompanySettingsSchema).default([]),
  compliance: ComplianceConfigSchema.default(ComplianceConfigSchema.parse({})),
  ingest: z
    .object({
      /** Flush a batch at this many messages or after flushMs, whichever comes first. */
      batchSize: z.number().int().positive().default(2000),
      flushMs: z.number().int().positive().default(200),
      /** How long a missing seq may hold back acks before it is recorded as a gap and skipped (default: see SHARE_GROUP_DEFAULTS). */
      gapTimeoutS: z.number().positive().optional(),
      /** MQTT session expiry: how long the broker keeps our subscriptions and queued messages while we are away; 0 = a clean session (default: see SHARE_GROUP_DEFAULTS). */
      sessionExpiryS: z.number().int().nonnegative().optional(),
      clientId: z.string().max(128).default('hashwatt-collector'),
      /**
       * Serve only these sites (one subscription per site) instead of every site on the
       * broker: a collector per partition of a fleet, or tests sharing one broker. The
       * agent deletes what any collector acks, so two collectors with separate databases
       * must never both serve a site.
       */
      sites: z.array(IdSchema).max(100_000).optional(),
      /**
       * Several collectors on one store split the ingest: every ingest subscription
       * becomes `$share/{shareGroup}/…`, so the broker gives each message to one
       * collector of the group (docs/protocol.md#several-collectors).
       */
      shareGroup: z
        .string()
        .superRefine((group, ctx) => {
          const problem = shareGroupProblem(group);
          if (problem) ctx.addIssue({ code: 'custom', message: `share group "${group}" ${problem}` });
        })
        .optional(),
      /** What an agent may claim before a sample or message is refused (docs/protocol.md#plausibility). */
      bounds: z
        .strictObject({
          maxFutureS: z.number().int().positive().max(86_400).default(DEFAULT_BOUNDS.maxFutureS),
          maxAgeDays: z.number().int().positive().max(3650).default(DEFAULT_BOUNDS.maxAgeDays),
          maxSeqJump: z.number().int().positive().default(DEFAULT_BOUNDS.maxSeqJump),
          maxMinersPerAgent: z.number().int().positive().default(DEFAULT_BOUNDS.maxMinersPerAgent),
          maxKwPerAgent: z.number().positive().default(DEFAULT_BOUNDS.maxKwPerAgent),
        })
        .default(DEFAULT_BOUNDS),
    })
    .transform(({ gapTimeoutS, sessionExpiryS, ...ingest }) => {
      const defaults = ingest.shareGroup === undefined ? ALONE_DEFAULTS : SHARE_GROUP_DEFAULTS;
      return { ...ingest, gapTimeoutS: gapTimeoutS ?? defaults.gapTimeoutS, sessionExpiryS: sessionExpiryS ?? defaults.sessionExpiryS };
    })
    .default({ batchSize: 2000, flushMs: 200, clientId: 'hashwatt-collector', bounds: DEFAULT_BOUNDS, ...ALONE_DEFAULTS }),
  events: z
    .object({
      /** A target is confirmed when measured kW ≤ target × (1 + tolerance) (+ 1 kW slack). */
      confirmTolerance: z.number().min(0).max(1).default(0.05),
      rampSeconds: z.number().nonnegative().default(60),
      /** How often the scheduler checks start/end of events. */
      tickMs: z.number().int().positive().default(1000),
    })
    .default({ confirmTolerance: 0.05, rampSeconds: 60, tickMs: 1000 }),
  retention: z
    .object({ rawDays: z.number().positive().default(14), rollup1mDays: z.number().positive().default(90), rollup1hDays: z.number().positive().default(1825) })
    .default({ rawDays: 14, rollup1mDays: 90, rollup1hDays: 1825 }),
  alerts: AlertsConfigSchema.default(AlertsConfigSchema.parse({})),
  registry: z
    .object({
      /** Tariff given to an unknown (grey) site when it first reports; the per-kWh fee Kazakhstan charged unregistered miners from 2022. */
      greyTariffPerKwh: z.number().finite().nonnegative().default(0.0023),
    })
    .default({ greyTariffPerKwh: 0.0023 }),
  /** A site counts as online when an agent reported within this many seconds. */
  onlineAfterS: z.number().positive().default(60),
  /** Dashboard sign-in (users live in the database: `hashwatt users`). */
  auth: AuthConfigSchema.default(AuthConfigSchema.parse({})),
  /** Webhook targets (docs/notifications.md). */
  notifications: NotificationsConfigSchema.default(NotificationsConfigSchema.parse({})),
  /** Follow an OpenADR 3 VTN as a VEN (docs/openadr.md); leave out to run without. */
  openadr: OpenAdrConfigSchema.optional(),
}).superRefine((config, ctx) => {
  // The embedded broker (aedes) has no shared subscriptions: it would take
  // "$share/…" as a plain filter that matches nothing, and ingest would be silent.
  if (config.ingest.shareGroup !== undefined && config.broker === undefined) {
    ctx.addIssue({ code: 'custom', path: ['ingest', 'shareGroup'], message: 'needs an external broker (broker.url): the embedded broker has no shared subscriptions' });
  }
});
export type CollectorConfig = z.infer<typeof CollectorConfigSchema>;
export type ComplianceConfig = z.infer<typeof ComplianceConfigSchema>;
