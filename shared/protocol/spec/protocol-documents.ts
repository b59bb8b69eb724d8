import { z } from 'zod';
import { stringify } from 'yaml';
import { MESSAGE_TYPES } from '../codec.js';
import { exampleAck, exampleBirth, exampleCollectorState, exampleControl, exampleControlReport, exampleState, exampleTelemetry } from '../examples.js';
import type { TopicKind } from '../topics.js';
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION } from '../version.js';
import { MESSAGE_CATALOG } from './message-catalog.js';

/**
 * docs/asyncapi.yaml and docs/schemas/*.json, built from the zod schemas the
 * codec decodes with (MESSAGE_TYPES), so the published contract cannot drift
 * from the code: `npm run protocol-docs` writes them, and a test fails when the
 * files on disk differ from what this returns.
 */

const KINDS = Object.keys(MESSAGE_TYPES) as TopicKind[];

/** `control/report` -> `control-report`: a file and component name. */
export const messageName = (kind: TopicKind): string => kind.replace('/', '-');

const EXAMPLES: Record<TopicKind, unknown> = {
  state: exampleState,
  birth: exampleBirth,
  telemetry: exampleTelemetry,
  'telemetry/ack': exampleAck,
  // The documented example of a signed control (any signature: examples show shape, not trust).
  control: { ...exampleControl, keyId: '33f9eceb20cd8503', sig: 't0pdJgVyWUQq30rMEeDJ2x7Aqrl5npGvCJ0q9qXzBQKP9LaKcu9ricZ9a9TXkMGBufI5C5SVRIS3IdkW1ADQDQ==' },
  'control/report': exampleControlReport,
  'collector/state': exampleCollectorState,
};

function describe(kind: TopicKind): string {
  const info = MESSAGE_CATALOG[kind];
  const rules = info.rules.length ? `\n\nAlso checked by receivers:\n${info.rules.map((r) => `- ${r}`).join('\n')}` : '';
  return `${info.summary}${rules}\n\nSee docs/protocol.md#${info.section}.`;
}

/** JSON Schema (draft-07) of a payload as a receiver accepts it: fields with defaults are optional, unknown fields allowed. */
export function messageJsonSchema(kind: TopicKind): Record<string, unknown> {
  const schema = z.toJSONSchema(MESSAGE_TYPES[kind].schema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, title: MESSAGE_CATALOG[kind].title, description: describe(kind), ...rest };
}

const mqttOperationBinding = (kind: TopicKind) => ({ mqtt: { qos: MESSAGE_TYPES[kind].qos, retain: MESSAGE_TYPES[kind].retain, bindingVersion: '0.2.0' } });
const channelId = (kind: TopicKind) => messageName(kind).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** The AsyncAPI 3 document, written from the agent's side: what an agent sends and receives. */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const idParameter = (what: string) => ({ description: `${what} id: [a-z0-9][a-z0-9-]{0,62}` });
  for (const kind of KINDS) {
    const info = MESSAGE_CATALOG[kind];
    const id = channelId(kind);
    const name = messageName(kind);
    const { $schema: _s, ...schema } = messageJsonSchema(kind);
    schemas[name] = schema;
    messages[name] = {
      name,
      title: info.title,
      summary: info.summary,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
      examples: [{ name: `${name}-example`, payload: EXAMPLES[kind] }],
    };
    channels[id] = {
      address: info.address,
      title: info.title,
      description: `${info.from === 'agent' ? 'Agent to collector' : 'Collector to agents'}. QoS ${MESSAGE_TYPES[kind].qos}, ${MESSAGE_TYPES[kind].retain ? 'retained' : 'not retained'}.`,
      ...(info.address.includes('{site}') ? { parameters: { site: idParameter('Site'), agent: idParameter('Agent') } } : {}),
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
    };
    operations[`${info.from === 'agent' ? 'send' : 'receive'}${id[0]!.toUpperCase()}${id.slice(1)}`] = {
      action: info.from === 'agent' ? 'send' : 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: info.summary,
      messages: [{ $ref: `#/channels/${id}/messages/${name}` }],
      bindings: mqttOperationBinding(kind),
    };
  }
  return {
    asyncapi: '3.1.0',
    id: 'urn:hashwatt:protocol:v1',
    info: {
      title: 'hashwatt agent protocol',
      version: `${PROTOCOL_VERSION}.0.0`,
      description: [
        'MQTT interface of a hashwatt edge agent: what it sends to the collector and what it receives. The collector is the mirror image (it receives what the agent sends).',
        `Payloads are UTF-8 JSON objects of at most ${MAX_PAYLOAD_BYTES} bytes carrying v = ${PROTOCOL_VERSION}. Controls are signed with Ed25519 over their RFC 8785 (JCS) form without sig.`,
        'Generated from shared/protocol by `npm run protocol-docs`; do not edit by hand. The prose contract (sessions, acks, report states, refusal reasons) is docs/protocol.md.',
      ].join('\n\n'),
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'broker.example:8883',
        protocol: 'mqtts',
        description: 'The site broker (Mosquitto in production). Agents connect with MQTT 5, falling back to 3.1.1, clean session, client id hashwatt-agent-{site}-{agent} by default.',
        bindings: {
          mqtt: {
            cleanSession: true,
            lastWill: { topic: 'hashwatt/v1/{site}/{agent}/state', qos: 1, retain: true, message: 'state payload with online: false' },
            keepAlive: 60,
            bindingVersion: '0.2.0',
          },
        },
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}

const HEADER = '# Generated from shared/protocol (zod schemas of the codec) by `npm run protocol-docs`. Do not edit by hand.\n';

/** Every generated file, path relative to the repository root -> content. */
export function renderProtocolDocuments(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('docs/asyncapi.yaml', HEADER + stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false }));
  for (const kind of KINDS) files.set(`docs/schemas/${messageName(kind)}.json`, `${JSON.stringify(messageJsonSchema(kind), null, 2)}\n`);
  return files;
}
