/**
 * The requirements the conformance kit checks, each tied to the section of
 * docs/protocol.md that states it. The kit's table prints these ids, so a
 * failing implementation is told which rule it broke and where to read it.
 */
export interface Requirement {
  id: string;
  text: string;
  /** docs/protocol.md anchor. */
  section: string;
}

const r = (id: string, text: string, section: string): Requirement => ({ id, text, section });

export const AGENT_REQUIREMENTS = [
  r('AGENT-STATE', 'publishes retained state online: true with its session', 'agent-identity-and-mqtt-session'),
  r('AGENT-BIRTH', 'publishes a valid retained birth with the same session', 'birth'),
  r('AGENT-TELEMETRY-SHAPE', 'every telemetry message decodes (schema, identity, size)', 'telemetry'),
  r('AGENT-SEQ', 'telemetry (with reports that carry a seq) numbers a session 1, 2, 3… without gaps or reuse', 'telemetry-from-the-agents-side'),
  r('AGENT-WILL', 'the broker announces a lost agent with the Will: state online: false', 'agent-identity-and-mqtt-session'),
  r('AGENT-RECONNECT', 'after reconnecting it republishes state online: true and birth', 'agent-identity-and-mqtt-session'),
  r('AGENT-REPLAY', 'after an outage every unacknowledged message is sent again, same session and seq, historical: true', 'telemetry-from-the-agents-side'),
  r('AGENT-ACK', 'an acknowledged message is never sent again', 'sessions-sequence-numbers-and-acknowledgements'),
  r('AGENT-CTL-UNSIGNED', 'refuses an unsigned control: rejected(unsigned)', 'control-handling-order-of-checks-and-refusal-reasons'),
  r('AGENT-CTL-FORGED', 'refuses a control signed by an untrusted key: rejected(bad_signature)', 'control-handling-order-of-checks-and-refusal-reasons'),
  r('AGENT-CTL-OTHER-SITE', "refuses a control signed for another site: rejected(wrong_target)", 'control-handling-order-of-checks-and-refusal-reasons'),
  r('AGENT-CTL-EXPIRED', 'refuses a control whose validUntil has passed: rejected(expired)', 'control-handling-order-of-checks-and-refusal-reasons'),
  r('AGENT-CTL-ACCEPT', 'accepts a valid signed control: accepted (after at most a received), then holding with achievedKw', 'control-reports-sequence-and-states'),
  r('AGENT-TELEMETRY-REVISION', 'telemetry samples carry the revision in force', 'telemetry'),
  r('AGENT-CTL-STALE', 'refuses a revision older than the one in force: rejected(stale)', 'control-handling-order-of-checks-and-refusal-reasons'),
  r('AGENT-RESTORE', 'a mode none control is accepted and ends in released', 'control-reports-sequence-and-states'),
  r('AGENT-REPORT-SHAPE', 'every control report decodes; each revision starts with its verdict, after at most a received', 'control-reports-sequence-and-states'),
] as const;

export const COLLECTOR_REQUIREMENTS = [
  r('COLLECTOR-STATE', 'publishes retained collector state online: true', 'collector-state'),
  r('COLLECTOR-ACK', 'acknowledges stored telemetry: ack(session, highest seq) after seq 1..3', 'sessions-sequence-numbers-and-acknowledgements'),
  r('COLLECTOR-GAP', 'does not acknowledge past a missing seq; acks past it once the gap is filled', 'sessions-sequence-numbers-and-acknowledgements'),
  r('COLLECTOR-DUPLICATE', 'a redelivered (historical) duplicate is harmless and acknowledgements continue', 'sessions-sequence-numbers-and-acknowledgements'),
  r('COLLECTOR-REFUSAL', 'invalid payloads (not JSON, schema, identity mismatch) are refused without stopping ingestion or being acked', 'receiving-refusal-reasons'),
  r('COLLECTOR-SESSION', 'a new agent session starts again at seq 1 and is acknowledged in that session', 'sessions-sequence-numbers-and-acknowledgements'),
  r('COLLECTOR-REPORT-SEQ', "a control report's seq counts in the session's sequence: telemetry after it is acknowledged without a gap", 'controlreport'),
  r('COLLECTOR-CONTROL-SIGNATURE', 'a retained control for the agent verifies (Ed25519 over RFC 8785) with the given public key', 'signatures'),
] as const;

export type AgentRequirementId = (typeof AGENT_REQUIREMENTS)[number]['id'];
export type CollectorRequirementId = (typeof COLLECTOR_REQUIREMENTS)[number]['id'];
