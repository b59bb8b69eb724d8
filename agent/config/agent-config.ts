/**
 * The agent's YAML config (`hashwatt agent --config agent.yaml`), validated by
 * zod. The schema is the type; deploy/examples/agent.yaml documents each field.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { BrokerConfigSchema } from '../../shared/config/broker-config.js';
import { IdSchema } from '../../shared/protocol/ids.js';
import { CurtailStrategySchema } from '../../shared/protocol/schemas/common.js';
import { FIRMWARES } from '../drivers/miners/miner-driver.js';
import { MeterConfigSchema } from '../drivers/meters/index.js';
import { FirmwareLoginsSchema } from '../drivers/miners/logins.js';
import { parseCidrRange } from './cidr.js';

const CronSchema = z.string().refine((expr) => cron.validate(expr), { message: 'expected a node-cron expression such as "*/10 * * * * *"' });

export const FirmwareChoiceSchema = z.enum(['auto', ...FIRMWARES]);
export type FirmwareChoice = z.infer<typeof FirmwareChoiceSchema>;

const PortSchema = z.number().int().min(1).max(65535);
const HOST = /^[A-Za-z0-9.-]+$/;

const Credentials = {
  username: z.string().optional(),
  password: z.string().optional(),
};

export const MinerEntrySchema = z.strictObject({
  /** Stable id within the site; defaults to host (host:port when a port is given). */
  id: z.string().min(1).max(128).optional(),
  host: z.string().regex(HOST, 'expected a host name or IPv4 address'),
  port: PortSchema.optional(),
  httpPort: PortSchema.optional(),
  v3Port: PortSchema.optional(),
  firmware: FirmwareChoiceSchema.default('auto'),
  ...Credentials,
  /** Rack or power distribution group, used by the `spread` strategy. */
  rack: z.string().max(64).optional(),
});
export type MinerEntry = z.infer<typeof MinerEntrySchema>;

export const MinerRangeSchema = z.strictObject({
  cidr: z.string().refine((text) => parseCidrRange(text).ok, { message: 'expected an IPv4 CIDR range such as 10.1.0.0/24 (at most /16)' }),
  port: PortSchema.optional(),
  httpPort: PortSchema.optional(),
  v3Port: PortSchema.optional(),
  firmware: FirmwareChoiceSchema.default('auto'),
  ...Credentials,
  rack: z.string().max(64).optional(),
});
export type MinerRange = z.infer<typeof MinerRangeSchema>;

export const ControlKeySchema = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1),
    /** End of a key rotation window: after this instant controls signed with this key are refused. */
    notAfter: z.iso.datetime({ offset: true }).optional(),
  }),
]);
export type ControlKeyConfig = z.infer<typeof ControlKeySchema>;

export const PollConfigSchema = z.strictObject({
  cron: CronSchema.default('*/10 * * * * *'),
  concurrency: z.number().int().min(1).max(4096).default(128),
  /** Deadline for one miner's whole read. */
  timeoutMs: z.number().int().min(100).max(120_000).default(3000),
  /** Send per-miner detail every N polls (and whenever a miner changes state). */
  detailEvery: z.number().int().min(1).max(10_000).default(6),
  /** Re-scan CIDR ranges (firmware detection) on this slower schedule. */
  rediscoverCron: CronSchema.default('0 */10 * * * *'),
});

export const OutboxConfigSchema = z.strictObject({
  maxRows: z.number().int().min(10).default(200_000),
  maxBytes: z.number().int().min(64 * 1024).default(512 * 1024 * 1024),
  /** Backlog replay rate after an outage, messages per second (live samples go out besides). */
  replayPerSecond: z.number().positive().max(10_000).default(20),
  /** A message sent but not acknowledged by the collector within this time is sent again. */
  ackTimeoutMs: z.number().int().min(1000).default(60_000),
});

export const CurtailmentConfigSchema = z.strictObject({
  /** Used when a control names no strategy of its own. */
  strategy: CurtailStrategySchema.default('least_efficient_first'),
  batchSize: z.number().int().min(1).default(50),
  batchPauseS: z.number().min(0).default(5),
  /** A miner stays asleep at least this long (unless the control's priority is emergency). */
  minSleepS: z.number().min(0).default(300),
  neverCurtail: z.array(z.string()).default([]),
  /** max_kw/shed_kw: wake miners only once the site is this far below the cap. */
  maxKwHysteresisKw: z.number().min(0).default(5),
  /** max_kw/shed_kw: holding counts as met while measured ≤ cap × (1 + tolerance). */
  tolerance: z.number().min(0).max(0.5).default(0.02),
  /** How long a sleep/wake may take to show in a read-back before the miner counts as ignoring it. */
  confirmTimeoutMs: z.number().int().min(500).default(30_000),
  /**
   * level power_target: after a batch of power-target changes that included a
   * Braiins OS miner, wait this long before judging the site's power again
   * (Braiins OS restarts mining on each change and reaches its new level ≈ 12 s
   * later; LuxOS and Whatsminer retune live and confirm once settled).
   */
  powerTargetSettleS: z.number().min(0).default(12),
});
export type CurtailmentConfig = z.infer<typeof CurtailmentConfigSchema>;

export const AgentConfigSchema = z
  .strictObject({
    site: IdSchema,
    agent: IdSchema,
    broker: BrokerConfigSchema,
    controlPublicKeys: z.array(ControlKeySchema).min(1, 'at least one public key is needed to verify controls'),
    /** Logins per firmware family; a miner's or range's own username/password wins. */
    logins: FirmwareLoginsSchema.optional(),
    miners: z.array(MinerEntrySchema).default([]),
    ranges: z.array(MinerRangeSchema).default([]),
    meter: MeterConfigSchema.optional(),
    /** Declared in the birth: the region (and coordinates) of this site, used by the collector for a site it does not know. */
    location: z.strictObject({ region: z.string().min(1).max(100).optional(), latitude: z.number().min(-90).max(90).optional(), longitude: z.number().min(-180).max(180).optional() }).optional(),
    poll: PollConfigSchema.default(PollConfigSchema.parse({})),
    dataDir: z.string().min(1).default('./data'),
    outbox: OutboxConfigSchema.default(OutboxConfigSchema.parse({})),
    curtailment: CurtailmentConfigSchema.default(CurtailmentConfigSchema.parse({})),
    /** trace … error; HASHWATT_LOG_LEVEL lands here through the environment overrides too. */
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.miners.forEach((m, i) => {
      const id = minerIdOf(m);
      const first = seen.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['miners', i, 'id'], message: `duplicate miner id "${id}" (also miners.${first})` });
      else seen.set(id, i);
    });
  });
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** The id of a configured miner: its own, else host, else host:port. */
export function minerIdOf(entry: { id?: string | undefined; host: string; port?: number | undefined }): string {
  return entry.id ?? (entry.port ? `${entry.host}:${entry.port}` : entry.host);
}
