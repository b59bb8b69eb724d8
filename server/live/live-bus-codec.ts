import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { LiveChange } from './live-bus.js';

/**
 * The text of one live-bus notification. PostgreSQL refuses a NOTIFY payload
 * of 8000 bytes or more (the default build), so one commit's changes are split
 * over as many messages as needed, each one complete on its own: a receiver
 * never reassembles, and a message that is lost costs only its own changes.
 *
 * Changes are positional tuples rather than objects: a sample is 70-130 bytes
 * instead of ~300, so a message carries 60-110 agents' samples.
 */
export const NOTIFY_PAYLOAD_LIMIT_BYTES = 8000;
const FORMAT_VERSION = 1;

const id = z.number().int().nonnegative();
const num = z.number().finite();
const at = z.number().finite();
const countsTuple = z.tuple([num, num, num, num, num, num]);

const ChangeTupleSchema = z.union([
  z.tuple([z.literal('s'), id, id, z.string(), at, num, num.nullable(), num.nullable(), num, num, countsTuple, num.nullable()]),
  z.tuple([z.literal('n'), id, id, z.string(), at]),
  z.tuple([z.literal('o'), id, id, z.string(), at, z.union([z.literal(0), z.literal(1)])]),
  z.tuple([z.literal('S'), id]),
  z.tuple([z.literal('e'), z.string()]),
  z.tuple([z.literal('m'), z.string(), z.unknown()]),
]);
type ChangeTuple = z.infer<typeof ChangeTupleSchema>;

const MessageSchema = z.object({
  v: z.literal(FORMAT_VERSION),
  /** Sender's instance id. */
  i: z.string().min(1),
  /** Sender's message sequence: consecutive, so a receiver notices a lost one. */
  q: z.number().int().nonnegative(),
  c: z.array(z.unknown()),
});

export interface LiveBusMessage {
  from: string;
  seq: number;
  changes: LiveChange[];
}

function toTuple(c: LiveChange): ChangeTuple {
  switch (c.kind) {
    case 'sample': {
      const s = c.sample;
      const k = s.counts;
      return ['s', c.siteId, c.agentId, c.agent, c.at, s.ts, s.meterKw, s.meterKwh, s.minerKw, s.hashrateThs, [k.hashing, k.idle, k.sleeping, k.offline, k.error, k.total], s.revision];
    }
    case 'seen': return ['n', c.siteId, c.agentId, c.agent, c.at];
    case 'state': return ['o', c.siteId, c.agentId, c.agent, c.at, c.online ? 1 : 0];
    case 'site': return ['S', c.siteId];
    case 'event': return ['e', c.eventId];
    case 'stream': return ['m', c.type, c.data];
  }
}

function fromTuple(t: ChangeTuple): LiveChange {
  switch (t[0]) {
    case 's': {
      const [, siteId, agentId, agent, at, ts, meterKw, meterKwh, minerKw, hashrateThs, [hashing, idle, sleeping, offline, error, total], revision] = t;
      return { kind: 'sample', siteId, agentId, agent, at, sample: { ts, meterKw, meterKwh, minerKw, hashrateThs, counts: { hashing, idle, sleeping, offline, error, total }, revision } };
    }
    case 'n': return { kind: 'seen', siteId: t[1], agentId: t[2], agent: t[3], at: t[4] };
    case 'o': return { kind: 'state', siteId: t[1], agentId: t[2], agent: t[3], at: t[4], online: t[5] === 1 };
    case 'S': return { kind: 'site', siteId: t[1] };
    case 'e': return { kind: 'event', eventId: t[1] };
    case 'm': return { kind: 'stream', type: t[1], data: t[2] };
  }
}

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function messageText(from: string, seq: number, encoded: string[]): string {
  return `{"v":${FORMAT_VERSION},"i":${JSON.stringify(from)},"q":${seq},"c":[${encoded.join(',')}]}`;
}

export interface SplitResult {
  /** Message texts in order, with sequence numbers firstSeq, firstSeq + 1, … */
  payloads: string[];
  /** Changes that do not fit one message even alone (a huge forwarded stream message): not sent. */
  tooLarge: LiveChange[];
}

/**
 * Packs `changes`, in order, into as few messages as fit under `limitBytes`
 * (PostgreSQL's limit by default; smaller in tests).
 */
export function splitIntoPayloads(changes: readonly LiveChange[], options: { from: string; firstSeq: number; limitBytes?: number }): SplitResult {
  const limit = options.limitBytes ?? NOTIFY_PAYLOAD_LIMIT_BYTES;
  const payloads: string[] = [];
  const tooLarge: LiveChange[] = [];
  let current: string[] = [];
  let currentBytes = 0; // of the encoded changes and the commas between them
  const seq = () => options.firstSeq + payloads.length;
  // The payload must be SHORTER than the limit (PostgreSQL: "must be shorter than 8000 bytes").
  const fits = (changeBytes: number) => bytes(messageText(options.from, seq(), [])) + changeBytes < limit;
  const flush = () => {
    if (current.length > 0) payloads.push(messageText(options.from, seq(), current));
    current = [];
    currentBytes = 0;
  };
  for (const change of changes) {
    const encoded = JSON.stringify(toTuple(change));
    const size = bytes(encoded);
    if (current.length > 0 && !fits(currentBytes + 1 + size)) flush();
    if (!fits(current.length > 0 ? currentBytes + 1 + size : size)) {
      tooLarge.push(change);
      continue;
    }
    currentBytes += (current.length > 0 ? 1 : 0) + size;
    current.push(encoded);
  }
  flush();
  return { payloads, tooLarge };
}

/** Reads one message; a malformed one is an AppError('PARSE') saying what is wrong and where. */
export function decodeMessage(payload: string): LiveBusMessage {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (err) {
    throw new AppError('PARSE', `live-bus message is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const message = MessageSchema.safeParse(json);
  if (!message.success) throw new AppError('PARSE', `live-bus message: ${describeIssue(message.error)}`);
  const changes = message.data.c.map((raw, index) => {
    const tuple = ChangeTupleSchema.safeParse(raw);
    if (!tuple.success) throw new AppError('PARSE', `live-bus message from ${message.data.i}, change ${index}: ${describeIssue(tuple.error)}`);
    return fromTuple(tuple.data);
  });
  return { from: message.data.i, seq: message.data.q, changes };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
