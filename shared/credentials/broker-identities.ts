import { AGENT_TOPIC_KINDS } from '../protocol/topics.js';
import { COLLECTOR_STATE_TOPIC, agentTopic } from '../protocol/topics.js';
import { TOPIC_ROOT } from '../protocol/version.js';

/**
 * Broker identities and their ACL blocks.
 *
 * Mosquitto `pattern` lines substitute the whole username (%u) or client id
 * (%c) into one topic level, and our topics carry site and agent as two levels.
 * A username holding a "/" would make `hashwatt/v1/%u/state` work, but older
 * brokers and auth plugins refuse usernames with "/", so we do not build on it.
 * Instead every agent gets an explicit `user` block naming its own topics,
 * generated here, and the username only has to be unique and readable:
 * `agent.<site>.<agent>` (ids cannot contain ".", so it is unambiguous). With
 * client certificates the same string is the certificate's CN
 * (`use_identity_as_username`).
 */
export const COLLECTOR_USERNAME = 'hashwatt-collector';

export function agentUsername(site: string, agent: string): string {
  agentTopic(site, agent, 'state'); // validates both ids, throws a PROTOCOL AppError naming the bad one
  return `agent.${site}.${agent}`;
}

const AGENT_WRITES = ['state', 'birth', 'telemetry', 'control/report'] as const;
const AGENT_READS = ['control', 'telemetry/ack'] as const;

// Kept in step with the protocol: a new topic kind must be placed on one side.
const placed = new Set<string>([...AGENT_WRITES, ...AGENT_READS]);
for (const kind of AGENT_TOPIC_KINDS) if (!placed.has(kind)) throw new Error(`broker ACL does not place topic kind ${kind}`);

/** The ACL block for one agent: publish only its own outbound topics, read only its own inbound ones and the collector state. */
export function agentAclBlock(site: string, agent: string): string {
  const lines = [`# agent ${agent} at site ${site}`, `user ${agentUsername(site, agent)}`];
  for (const kind of AGENT_WRITES) lines.push(`topic write ${agentTopic(site, agent, kind)}`);
  for (const kind of AGENT_READS) lines.push(`topic read ${agentTopic(site, agent, kind)}`);
  lines.push(`topic read ${COLLECTOR_STATE_TOPIC}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The collector reads every agent's outbound topics and writes controls, acks
 * and its own state. It subscribes with `+` filters, never `#`: no identity has
 * a `#` grant, so nobody can subscribe to everything.
 */
export function collectorAclBlock(username = COLLECTOR_USERNAME): string {
  const any = `${TOPIC_ROOT}/+/+`;
  return [
    '# the collector',
    `user ${username}`,
    ...AGENT_WRITES.map((kind) => `topic read ${any}/${kind}`),
    `topic readwrite ${any}/control`,
    `topic write ${any}/telemetry/ack`,
    `topic readwrite ${COLLECTOR_STATE_TOPIC}`,
    '',
  ].join('\n');
}
