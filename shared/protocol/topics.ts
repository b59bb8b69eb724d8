import { AppError } from '../errors.js';
import { idProblem } from './ids.js';
import { TOPIC_ROOT } from './version.js';

/** The per-agent topic suffixes of docs/protocol.md. */
export const AGENT_TOPIC_KINDS = ['state', 'birth', 'telemetry', 'telemetry/ack', 'control', 'control/report'] as const;
export type AgentTopicKind = (typeof AGENT_TOPIC_KINDS)[number];
export type TopicKind = AgentTopicKind | 'collector/state';

export type ParsedTopic =
  | { kind: AgentTopicKind; site: string; agent: string }
  | { kind: 'collector/state'; site?: undefined; agent?: undefined };

export const COLLECTOR_STATE_TOPIC = `${TOPIC_ROOT}/_collector/state`;

function checkId(what: string, id: string): void {
  const problem = idProblem(id);
  if (problem) throw new AppError('PROTOCOL', `${what} id "${id}" ${problem}`);
}

/** `hashwatt/v1/{site}/{agent}/{kind}`; throws on an invalid id so a bad id never reaches the broker. */
export function agentTopic(site: string, agent: string, kind: AgentTopicKind): string {
  checkId('site', site);
  checkId('agent', agent);
  return `${TOPIC_ROOT}/${site}/${agent}/${kind}`;
}

/** Subscription filters, for the collector (all agents) or for one agent's own inbound topics. */
export const topicFilters = {
  allAgents: (kind: AgentTopicKind) => `${TOPIC_ROOT}/+/+/${kind}`,
  /** Every agent of one site (a collector serving a partition of the fleet). */
  siteAgents: (site: string, kind: AgentTopicKind) => {
    checkId('site', site);
    return `${TOPIC_ROOT}/${site}/+/${kind}`;
  },
  collectorState: () => COLLECTOR_STATE_TOPIC,
  /**
   * An MQTT shared subscription (`$share/{group}/{filter}`, MQTT 5 §4.8.2; Mosquitto,
   * EMQX, HiveMQ and VerneMQ take it from 3.1.1 clients too): the broker hands each
   * message to one subscriber of the group, so several collectors split the ingest.
   */
  shared: (group: string, filter: string) => {
    const problem = shareGroupProblem(group);
    if (problem) throw new AppError('PROTOCOL', `share group "${group}" ${problem}`);
    return `$share/${group}/${filter}`;
  },
};

/**
 * Why a share group name is not usable, or null. It is one topic level (MQTT 5
 * §4.8.2: no "/", "+" or "#"); whitespace and control characters are refused
 * too, since a name that looks right in a YAML file but differs on the wire
 * would silently split the collectors into two groups that each get everything.
 */
export function shareGroupProblem(group: string): string | null {
  if (group.length === 0) return 'is empty';
  if (group.length > 64) return 'is longer than 64 characters';
  if (/[/+#]/.test(group)) return 'must not contain "/", "+" or "#" (it is one MQTT topic level)';
  if (/[\s\p{Cc}]/u.test(group)) return 'must not contain whitespace or control characters';
  return null;
}

export type TopicParseResult = { ok: true; topic: ParsedTopic } | { ok: false; problem: string };

/** Parses a received topic name; the problem text says what is wrong with it. */
export function parseTopic(topic: string): TopicParseResult {
  if (topic === COLLECTOR_STATE_TOPIC) return { ok: true, topic: { kind: 'collector/state' } };
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return { ok: false, problem: `topic "${topic}" is not under ${TOPIC_ROOT}/` };
  const levels = topic.slice(prefix.length).split('/');
  const [site = '', agent = '', ...rest] = levels;
  const kind = rest.join('/');
  if (!(AGENT_TOPIC_KINDS as readonly string[]).includes(kind)) {
    return { ok: false, problem: `topic "${topic}" has unknown suffix "${kind}"` };
  }
  for (const [what, id] of [['site', site], ['agent', agent]] as const) {
    const problem = idProblem(id);
    if (problem) return { ok: false, problem: `topic "${topic}": ${what} id "${id}" ${problem}` };
  }
  return { ok: true, topic: { kind: kind as AgentTopicKind, site, agent } };
}
