import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { encode } from '../../shared/protocol/index.js';
import type { Control, UnsignedControl } from '../../shared/protocol/index.js';
import { sign } from 'node:crypto';
import { keyIdOf, signedBytes } from '../../shared/signing/control-signing.js';
import type { EffectiveControl } from './effective-control.js';

export interface AgentShare {
  agent: string;
  kw: number;
  hashing: number;
}

/** Splits a site's effective control over its agents (segments), pro rata to their draw or hashing miners. */
function shareOf(control: EffectiveControl, agent: AgentShare, all: AgentShare[]): number | null {
  if (control.value === null || all.length === 1) return control.value;
  if (control.mode === 'sleep_count') {
    const total = all.reduce((a, x) => a + x.hashing, 0);
    return total > 0 ? Math.round((control.value * agent.hashing) / total) : Math.round(control.value / all.length);
  }
  const total = all.reduce((a, x) => a + x.kw, 0);
  return total > 0 ? Math.round(((control.value * agent.kw) / total) * 1000) / 1000 : control.value / all.length;
}

const keyIds = new WeakMap<KeyObject, string>();
function keyIdCached(key: KeyObject): string {
  let id = keyIds.get(key);
  if (!id) keyIds.set(key, (id = keyIdOf(key)));
  return id;
}

/** Builds the signed control of each agent of a site for one revision. */
export function buildSignedControls(
  site: string,
  agents: AgentShare[],
  control: EffectiveControl,
  revision: number,
  issuedAt: number,
  rampSeconds: number,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
): Record<string, Control> {
  const out: Record<string, Control> = {};
  for (const a of agents) {
    const unsigned: UnsignedControl = {
      v: 1, site, agent: a.agent, revision, issuedAt, validFrom: control.validFrom, validUntil: control.validUntil,
      mode: control.mode, value: shareOf(control, a, agents), level: 'sleep', strategy: 'least_efficient_first',
      rampSeconds: control.priority === 'emergency' ? 0 : rampSeconds, priority: control.priority, reason: control.reason, eventIds: control.eventIds,
    };
    // signPayload's algorithm, with the key id computed once per key instead of per control
    // (exporting the key is a third of the cost of signing 1,000 controls).
    const withKey = { ...unsigned, keyId: keyIdCached(keys.publicKey) };
    out[a.agent] = { ...withKey, sig: sign(null, signedBytes(withKey as Record<string, unknown>), keys.privateKey).toString('base64') } as Control;
  }
  return out;
}

/** Publishes retained controls (QoS 1); resolves when the broker has them all. */
export async function publishControls(client: MqttClient, site: string, controls: Record<string, Control>): Promise<void> {
  await Promise.all(
    Object.entries(controls).map(([agent, control]) => {
      const msg = encode('control', site, agent, control);
      return client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
    }),
  );
}
