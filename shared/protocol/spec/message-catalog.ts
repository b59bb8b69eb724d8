import type { TopicKind } from '../topics.js';

/**
 * What the schemas cannot say about each message: who sends it, where, and the
 * cross-field rules the codec checks beyond the JSON Schema (zod refinements).
 * The AsyncAPI document and docs/schemas/*.json are generated from this and
 * the codec's MESSAGE_TYPES; the section names are docs/protocol.md's.
 */
export interface MessageInfo {
  /** Channel address; `{site}` and `{agent}` are parameters. */
  address: string;
  from: 'agent' | 'collector';
  title: string;
  summary: string;
  /** Rules the receiver enforces that JSON Schema does not express. */
  rules: string[];
  /** docs/protocol.md anchor. */
  section: string;
}

export const MESSAGE_CATALOG = {
  state: {
    address: 'hashwatt/v1/{site}/{agent}/state',
    from: 'agent',
    title: 'Agent state',
    summary: 'Retained presence: online true after every connect; the same topic is the MQTT Will with online false.',
    rules: ['site and agent equal the topic\'s (identity_mismatch)'],
    section: 'state',
  },
  birth: {
    address: 'hashwatt/v1/{site}/{agent}/birth',
    from: 'agent',
    title: 'Agent birth',
    summary: 'Retained inventory and curtailment capabilities, published after every connect.',
    rules: ['site and agent equal the topic\'s (identity_mismatch)', 'session equals the session of the agent\'s state'],
    section: 'birth',
  },
  telemetry: {
    address: 'hashwatt/v1/{site}/{agent}/telemetry',
    from: 'agent',
    title: 'Telemetry batch',
    summary: 'Site samples and per-miner detail; written to the agent outbox before publishing, replayed until acknowledged.',
    rules: [
      'site and agent equal the topic\'s (identity_mismatch)',
      'at least one sample or one miner',
      'counts.total = hashing + idle + sleeping + offline + error',
      'seq starts at 1 in each session and grows by one per message; control reports that carry a seq take it from the same counter',
    ],
    section: 'telemetry',
  },
  'telemetry/ack': {
    address: 'hashwatt/v1/{site}/{agent}/telemetry/ack',
    from: 'collector',
    title: 'Telemetry acknowledgement',
    summary: 'Every telemetry message of the session with seq <= this is committed to the collector database.',
    rules: ['sent only after the commit', 'never covers a seq whose lower seqs are missing, until the gap times out'],
    section: 'telemetryack',
  },
  control: {
    address: 'hashwatt/v1/{site}/{agent}/control',
    from: 'collector',
    title: 'Curtailment control',
    summary: 'Retained desired curtailment state of the site, signed with Ed25519 over the RFC 8785 (JCS) form of every field but sig.',
    rules: [
      'sig verifies with a trusted key (unsigned, bad_signature)',
      'site and agent equal the topic\'s (wrong_target)',
      'validUntil > validFrom',
      'value is not null for max_kw, shed_kw and sleep_count',
      'revision greater than the one in force (stale); validUntil in the future (expired)',
      'schedule steps: until > from, a value except for full, in time order without overlap, the first one asking what the top level asks; none has no schedule',
    ],
    section: 'control',
  },
  'control/report': {
    address: 'hashwatt/v1/{site}/{agent}/control/report',
    from: 'agent',
    title: 'Control report',
    summary: 'What the agent did about one control revision: one message per transition.',
    rules: ['site and agent equal the topic\'s (identity_mismatch)', 'reason is present when status is rejected or failed', 'session and seq come together; seq is the next of the session, shared with telemetry, and the report is replayed until an ack covers it'],
    section: 'controlreport',
  },
  'collector/state': {
    address: 'hashwatt/v1/_collector/state',
    from: 'collector',
    title: 'Collector state',
    summary: 'Retained collector presence; its MQTT Will publishes online false.',
    rules: [],
    section: 'collector-state',
  },
} as const satisfies Record<TopicKind, MessageInfo>;
