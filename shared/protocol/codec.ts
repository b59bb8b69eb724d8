import type { z } from 'zod';
import { AppError } from '../errors.js';
import { AgentStateSchema, CollectorStateSchema } from './schemas/presence.js';
import { BirthSchema } from './schemas/birth.js';
import { TelemetryAckSchema, TelemetrySchema } from './schemas/telemetry.js';
import { isPlainValidTelemetry } from './telemetry-check.js';
import { isPlainValidReport } from './report-check.js';
import { ControlSchema } from './schemas/control.js';
import { ControlReportSchema } from './schemas/control-report.js';
import { agentTopic, COLLECTOR_STATE_TOPIC, parseTopic, type AgentTopicKind, type TopicKind } from './topics.js';
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION } from './version.js';

/** Which schema, QoS and retain flag belong to each topic kind: the single table of docs/protocol.md. */
export const MESSAGE_TYPES = {
  state: { schema: AgentStateSchema, qos: 1, retain: true },
  birth: { schema: BirthSchema, qos: 1, retain: true },
  telemetry: { schema: TelemetrySchema, qos: 1, retain: false },
  'telemetry/ack': { schema: TelemetryAckSchema, qos: 1, retain: false },
  control: { schema: ControlSchema, qos: 1, retain: true },
  'control/report': { schema: ControlReportSchema, qos: 1, retain: false },
  'collector/state': { schema: CollectorStateSchema, qos: 1, retain: true },
} as const satisfies Record<TopicKind, { schema: z.ZodType; qos: 0 | 1 | 2; retain: boolean }>;

export type PayloadOf<K extends TopicKind> = z.infer<(typeof MESSAGE_TYPES)[K]['schema']>;

/** A decoded message, discriminated by `kind`. */
export type DecodedMessage = {
  [K in TopicKind]: K extends AgentTopicKind
    ? { kind: K; site: string; agent: string; topic: string; payload: PayloadOf<K>; raw: Record<string, unknown> }
    : { kind: K; site?: undefined; agent?: undefined; topic: string; payload: PayloadOf<K>; raw: Record<string, unknown> };
}[TopicKind];

export const DECODE_ERROR_REASONS = ['bad_topic', 'too_large', 'not_json', 'wrong_version', 'schema', 'identity_mismatch'] as const;
export type DecodeErrorReason = (typeof DECODE_ERROR_REASONS)[number];

export interface FieldIssue {
  /** Dotted path of the bad field, e.g. `samples.0.counts.total`. */
  path: string;
  message: string;
}

export interface DecodeError {
  reason: DecodeErrorReason;
  message: string;
  topic: string;
  issues?: FieldIssue[];
}

export type DecodeResult = { ok: true; message: DecodedMessage } | { ok: false; error: DecodeError };

function fail(topic: string, reason: DecodeErrorReason, message: string, issues?: FieldIssue[]): DecodeResult {
  return { ok: false, error: issues ? { reason, message, topic, issues } : { reason, message, topic } };
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/**
 * Decodes one received MQTT message. Never throws: every way a message can be
 * wrong comes back as a reason that callers count and log.
 */
export function decode(topic: string, bytes: Uint8Array | string): DecodeResult {
  const parsedTopic = parseTopic(topic);
  if (!parsedTopic.ok) return fail(topic, 'bad_topic', parsedTopic.problem);
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return fail(topic, 'too_large', `payload is ${size} bytes, the limit is ${MAX_PAYLOAD_BYTES}`);

  let raw: unknown;
  try {
    // MQTT.js hands over Buffers: read as they are, without a new view of the same bytes.
    raw = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.isBuffer(bytes) ? bytes.toString('utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return fail(topic, 'not_json', `payload is not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(topic, 'not_json', 'payload is not a JSON object');
  const record = raw as Record<string, unknown>;
  if (record.v !== PROTOCOL_VERSION) {
    return fail(topic, 'wrong_version', `payload version is ${JSON.stringify(record.v)}, this build speaks v${PROTOCOL_VERSION}`);
  }

  const { kind } = parsedTopic.topic;
  let payload: { site?: string; agent?: string };
  // Telemetry is the bulk of the traffic, and reports arrive a thousand at once after an
  // event: a compiled check accepts the plain valid case
  // without zod's copy; anything else goes through the schema, which words the errors.
  if ((kind === 'telemetry' && isPlainValidTelemetry(record)) || (kind === 'control/report' && isPlainValidReport(record))) payload = record;
  else {
    const result = MESSAGE_TYPES[kind].schema.safeParse(record);
    if (!result.success) {
      const issues = formatIssues(result.error.issues);
      return fail(topic, 'schema', `invalid ${kind} payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    payload = result.data as { site?: string; agent?: string };
  }
  if (parsedTopic.topic.kind !== 'collector/state' && 'site' in payload && payload.site !== undefined) {
    const { site, agent } = parsedTopic.topic;
    if (payload.site !== site || payload.agent !== agent) {
      return fail(topic, 'identity_mismatch', `payload is from ${payload.site}/${payload.agent} but was published on ${site}/${agent}`);
    }
  }
  // Written out, not spread from the parsed topic: the spread was most of decode's own time
  // (two thousand reports arrive at once after a curtailment event).
  const t = parsedTopic.topic;
  const message = t.kind === 'collector/state' ? { kind: t.kind, topic, payload, raw: record } : { kind: t.kind, site: t.site, agent: t.agent, topic, payload, raw: record };
  return { ok: true, message: message as DecodedMessage };
}

export interface EncodedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/**
 * Validates and serializes an outgoing message for an agent topic. Throws an
 * AppError('PROTOCOL') for an invalid or oversize payload: sending one would
 * only make every receiver count a reject.
 */
export function encode<K extends AgentTopicKind>(kind: K, site: string, agent: string, payload: PayloadOf<K>): EncodedMessage {
  return encodeTo(agentTopic(site, agent, kind), kind, payload);
}

export function encodeCollectorState(payload: PayloadOf<'collector/state'>): EncodedMessage {
  return encodeTo(COLLECTOR_STATE_TOPIC, 'collector/state', payload);
}

function encodeTo(topic: string, kind: TopicKind, payload: unknown): EncodedMessage {
  const type = MESSAGE_TYPES[kind];
  const result = type.schema.safeParse(payload);
  if (!result.success) {
    const issues = formatIssues(result.error.issues);
    throw new AppError('PROTOCOL', `refusing to send an invalid ${kind}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  // Serialize what the caller gave, not the parsed copy: a signed control must
  // go out byte-for-byte as signed (defaults added by the schema would change it).
  const bytes = Buffer.from(JSON.stringify(payload));
  if (bytes.byteLength > MAX_PAYLOAD_BYTES) {
    throw new AppError('PROTOCOL', `${kind} payload is ${bytes.byteLength} bytes, over the ${MAX_PAYLOAD_BYTES} byte limit`);
  }
  return { topic, payload: bytes, qos: type.qos, retain: type.retain };
}

/** Size a payload would have on the wire, for splitting per-miner detail. */
export function encodedSize(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload));
}
