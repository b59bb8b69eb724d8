import { sign, type KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { AppError } from '../../shared/errors.js';
import { agentTopic, MESSAGE_TYPES } from '../../shared/protocol/index.js';
import type { Control, UnsignedControl } from '../../shared/protocol/index.js';
import { MAX_PAYLOAD_BYTES } from '../../shared/protocol/version.js';
import { keyIdOf, signedBytes } from '../../shared/signing/control-signing.js';
import type { EffectiveControl } from './effective-control.js';
import { levelFor } from './control-level.js';

export interface AgentShare {
  agent: string;
  kw: number;
  hashing: number;
  /** Curtail levels the agent's birth announced (null: none known). */
  levels?: readonly string[] | null;
}

/** Splits a site's effective control over its agents (segments), pro rata to their draw or hashing miners. */
function shareOf(control: Pick<EffectiveControl, 'mode' | 'value'>, agent: AgentShare, all: AgentShare[]): number | null {
  if (control.value === null || all.length === 1) return control.value;
  if (control.mode === 'sleep_count') {
    const total = all.reduce((a, x) => a + x.hashing, 0);
    return total > 0 ? Math.round((control.value * agent.hashing) / total) : Math.round(control.value / all.length);
  }
  const total = all.reduce((a, x) => a + x.kw, 0);
  return total > 0 ? Math.round(((control.value * agent.kw) / total) * 1000) / 1000 : control.value / all.length;
}

/**
 * Builds the signed control of each agent of a site for one revision. Valid by
 * construction (event-spec bounds the reason, effective-control the event ids,
 * a positive duration orders validFrom < validUntil); control-publisher.test.ts
 * holds every mode against ControlSchema, so the fan-out does not re-parse each one.
 */
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
  const keyId = keyIdOf(keys.publicKey);
  for (const a of agents) {
    const unsigned: UnsignedControl = {
      v: 1, site, agent: a.agent, revision, issuedAt, validFrom: control.validFrom, validUntil: control.validUntil,
      mode: control.mode, value: shareOf(control, a, agents), level: levelFor(control.level ?? 'sleep', control, a.levels), strategy: 'least_efficient_first',
      rampSeconds: control.priority === 'emergency' ? 0 : rampSeconds, priority: control.priority, reason: control.reason, eventIds: control.eventIds,
    };
    if (control.schedule.length > 0) {
      unsigned.schedule = control.schedule.map((s) => ({ from: s.from, until: s.until, mode: s.mode, value: shareOf(s, a, agents), priority: s.priority }));
    }
    // signPayload's algorithm (every field but sig, canonical JSON, Ed25519).
    const withKey = { ...unsigned, keyId };
    out[a.agent] = { ...withKey, sig: sign(null, signedBytes(withKey as Record<string, unknown>), keys.privateKey).toString('base64') } as Control;
  }
  return out;
}

const { qos: CONTROL_QOS, retain: CONTROL_RETAIN } = MESSAGE_TYPES.control;

/** Topic and bytes of one control, exactly as signed; throws AppError('PROTOCOL') on a bad id or an oversize payload. */
export function controlMessage(site: string, agent: string, control: Control): { topic: string; payload: Buffer } {
  const payload = Buffer.from(JSON.stringify(control));
  if (payload.byteLength > MAX_PAYLOAD_BYTES) throw new AppError('PROTOCOL', `control for ${site}/${agent} is ${payload.byteLength} bytes, over the ${MAX_PAYLOAD_BYTES} byte limit`);
  return { topic: agentTopic(site, agent, 'control'), payload };
}

/**
 * Publishes retained controls (QoS 1); resolves when the broker has them all.
 * One promise per site (not per message): MQTT.js callbacks count the PUBACKs.
 */
export function publishControls(client: MqttClient, site: string, controls: Record<string, Control>): Promise<void> {
  return new Promise((resolve, reject) => {
    const entries = Object.entries(controls);
    let left = entries.length;
    if (left === 0) return resolve();
    let failed = false;
    const done = (err?: Error) => {
      if (failed) return;
      if (err) {
        failed = true;
        reject(err);
      } else if (--left === 0) resolve();
    };
    for (const [agent, control] of entries) {
      let msg: { topic: string; payload: Buffer };
      try {
        msg = controlMessage(site, agent, control);
      } catch (err) {
        return done(err as Error);
      }
      client.publish(msg.topic, msg.payload, { qos: CONTROL_QOS, retain: CONTROL_RETAIN }, (err) => done(err ?? undefined));
    }
  });
}
