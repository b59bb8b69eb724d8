import { z } from 'zod';
import { IdSchema } from '../../shared/protocol/ids.js';
import { PrioritySchema } from '../../shared/protocol/schemas/common.js';

/** A VEN resource and the hashwatt sites it stands for: some sites, some regions, or the whole fleet. */
export const ResourceMappingSchema = z
  .object({
    name: z.string().min(1).max(128),
    sites: z.array(IdSchema).optional(),
    regions: z.array(z.string().min(1).max(100)).optional(),
    all: z.boolean().optional(),
  })
  .refine((r) => r.all === true || (r.sites?.length ?? 0) > 0 || (r.regions?.length ?? 0) > 0, { message: 'a resource maps to all: true, or at least one site or region' });
export type ResourceMapping = z.infer<typeof ResourceMappingSchema>;

/** What a SIMPLE level (1, 2, 3; 0 is normal operation) asks: percent of the scope's draw, or kW. */
const ShedSchema = z.union([z.object({ percent: z.number().positive().max(100) }), z.object({ kw: z.number().positive() })]);

export const OpenAdrConfigSchema = z.object({
  /** The VTN's base URL, e.g. https://vtn.example.com/openadr3/3.1.0 (paths /programs, /events … are appended). */
  vtnUrl: z.url(),
  /** OAuth2 client credentials (docs/openadr.md); tokenUrl defaults to what GET /auth/server names. */
  auth: z.object({
    clientId: z.string().min(1).max(4096),
    clientSecret: z.string().min(1).max(4096),
    tokenUrl: z.url().optional(),
    scope: z.string().max(4096).optional(),
  }),
  venName: z.string().min(1).max(128),
  /** programName of each program to follow. */
  programs: z.array(z.string().min(1).max(128)).min(1),
  resources: z.array(ResourceMappingSchema).min(1),
  /** How often the VEN asks the VTN for events; subscriptions only make it hear sooner. */
  pollS: z.number().positive().default(30),
  /** Per-request deadline against a slow VTN. */
  requestTimeoutS: z.number().positive().default(10),
  /** Report retry: first wait after a failure, doubled up to retryMaxS. */
  retryMinS: z.number().positive().default(5),
  retryMaxS: z.number().positive().default(300),
  /** Wait after an interval ends before its report is built, so the agents' last samples are in. */
  reportDelayS: z.number().nonnegative().default(30),
  /** OpenADR priority (lower is more important) at or below which a hashwatt event is `high`. */
  highPriorityAtOrBelow: z.number().int().min(0).default(0),
  simple: z
    .object({ levels: z.object({ 1: ShedSchema, 2: ShedSchema, 3: ShedSchema }).partial(), priority: PrioritySchema.default('normal') })
    .default({ levels: { 1: { percent: 25 }, 2: { percent: 50 }, 3: { percent: 100 } }, priority: 'normal' }),
  /** Curtail above this PRICE (or EXPORT_PRICE): the whole scope, or down to limitKw. Leave out to ignore prices. */
  price: z.object({ above: z.number(), limitKw: z.number().nonnegative().optional() }).optional(),
  /** Take OpenADR 3.1 MQTT notifications when the VTN offers them (GET /notifiers); polling goes on either way. */
  mqttNotifications: z.boolean().default(true),
  /** Subscribe for webhook callbacks at this URL (the collector's /openadr/callback, reachable from the VTN). */
  callbackUrl: z.url().optional(),
});
export type OpenAdrConfig = z.infer<typeof OpenAdrConfigSchema>;
