import type { KeyObject } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { agentTopic } from '../../shared/protocol/index.js';
import type { Control, UnsignedControl } from '../../shared/protocol/index.js';
import { MAX_PAYLOAD_BYTES } from '../../shared/protocol/version.js';
import { keyIdOf } from '../../shared/signing/control-signing.js';
import { ed25519Signer } from '../../shared/signing/ed25519-signer.js';
import type { ControlChannel } from './control-channel.js';
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

/** A string as canonical JSON (RFC 8785): JSON.stringify's escapes; a lone surrogate is refused as canonicalJson refuses it. */
function q(s: string): string {
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new TypeError('canonical JSON cannot hold a string with a lone UTF-16 surrogate');
  return JSON.stringify(s);
}

/** A number as canonical JSON (null stays null); NaN and Infinity are refused as canonicalJson refuses them. */
function n(x: number | null): string {
  if (x !== null && !Number.isFinite(x)) throw new TypeError('canonical JSON cannot hold NaN or Infinity');
  return JSON.stringify(x);
}

/**
 * The canonical JSON (docs/protocol.md, "Signatures") of one control, written
 * straight from its fixed shape, keys already in sorted order: the generic
 * canonicalJson walk (a sort of the keys of every object) was a third of the
 * fan-out's signing cost. control-publisher.test.ts holds it equal to
 * canonicalJson for every shape the fan-out builds; the published bytes are
 * these plus `sig`, so what is sent is what was signed.
 */
function canonicalControl(c: UnsignedControl & { keyId: string }): string {
  let schedule = '';
  if (c.schedule !== undefined) {
    schedule = '"schedule":[';
    for (let i = 0; i < c.schedule.length; i++) {
      const st = c.schedule[i]!;
      schedule += `${i > 0 ? ',' : ''}{"from":${n(st.from)},"mode":${q(st.mode)},"priority":${q(st.priority)},"until":${n(st.until)},"value":${n(st.value)}}`;
    }
    schedule += '],';
  }
  let eventIds = '[';
  for (let i = 0; i < c.eventIds.length; i++) eventIds += `${i > 0 ? ',' : ''}${q(c.eventIds[i]!)}`;
  eventIds += ']';
  return `{"agent":${q(c.agent)},"eventIds":${eventIds},"issuedAt":${n(c.issuedAt)},"keyId":${q(c.keyId)},"level":${q(c.level)},"mode":${q(c.mode)},`
    + `"priority":${q(c.priority)},"rampSeconds":${n(c.rampSeconds)},"reason":${q(c.reason)},"revision":${n(c.revision)},${schedule}"site":${q(c.site)},`
    + `"strategy":${q(c.strategy)},"v":${n(c.v)},"validFrom":${n(c.validFrom)},"validUntil":${n(c.validUntil)},"value":${n(c.value)}}`;
}

/** The JSON text of controls built here (canonical body plus sig), reused for the broker and the store. */
const wireText = new WeakMap<Control, string>();

/** The JSON text of a control: the signed text for one built here, else JSON.stringify (a control read back from the store). */
export function controlJson(control: Control): string {
  return wireText.get(control) ?? JSON.stringify(control);
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
  const sign = ed25519Signer(keys.privateKey);
  for (const a of agents) {
    const signed: UnsignedControl & { keyId: string } = {
      v: 1, site, agent: a.agent, revision, issuedAt, validFrom: control.validFrom, validUntil: control.validUntil,
      mode: control.mode, value: shareOf(control, a, agents), level: levelFor(control.level ?? 'sleep', control, a.levels), strategy: 'least_efficient_first',
      rampSeconds: control.priority === 'emergency' ? 0 : rampSeconds, priority: control.priority, reason: control.reason, eventIds: control.eventIds,
      keyId,
    };
    if (control.schedule.length > 0) {
      signed.schedule = control.schedule.map((s) => ({ from: s.from, until: s.until, mode: s.mode, value: shareOf(s, a, agents), priority: s.priority }));
    }
    // signPayload's algorithm (every field but sig, canonical JSON, Ed25519), on the text written once.
    const body = canonicalControl(signed);
    const sig = sign(Buffer.from(body, 'utf8')).toString('base64');
    const c = signed as Control;
    c.sig = sig;
    wireText.set(c, `${body.slice(0, -1)},"sig":"${sig}"}`);
    out[a.agent] = c;
  }
  return out;
}

/** The stored form of a site's control (effective control and each agent's signed control) as JSON, without re-serializing the signed ones. */
export function storedControlJson(effective: EffectiveControl, perAgent: Record<string, Control>): string {
  let agents = '';
  for (const [agent, c] of Object.entries(perAgent)) agents += `${agents ? ',' : ''}${JSON.stringify(agent)}:${controlJson(c)}`;
  return `{"effective":${JSON.stringify(effective)},"perAgent":{${agents}}}`;
}

/** Topic and bytes of one control, exactly as signed; throws AppError('PROTOCOL') on a bad id or an oversize payload. */
export function controlMessage(site: string, agent: string, control: Control): { topic: string; payload: Buffer } {
  const payload = Buffer.from(controlJson(control), 'utf8');
  if (payload.byteLength > MAX_PAYLOAD_BYTES) throw new AppError('PROTOCOL', `control for ${site}/${agent} is ${payload.byteLength} bytes, over the ${MAX_PAYLOAD_BYTES} byte limit`);
  return { topic: agentTopic(site, agent, 'control'), payload };
}

/**
 * Publishes a site's controls on the channel (retained, QoS 1 over MQTT); `done`
 * runs once: when the channel has them all, or with the first error. A callback,
 * not a promise per site: the fan-out publishes thousands and each promise cost
 * reactions on the hot path.
 */
export function publishControlsCb(channel: ControlChannel, site: string, controls: Record<string, Control>, done: (err?: Error) => void): void {
  const agents = Object.keys(controls);
  let left = agents.length;
  if (left === 0) return done();
  let finished = false;
  const one = (err?: Error | null) => {
    if (finished) return;
    if (err) {
      finished = true;
      done(err);
    } else if (--left === 0) {
      finished = true;
      done();
    }
  };
  for (const agent of agents) {
    try {
      const msg = controlMessage(site, agent, controls[agent]!);
      channel.publish(msg.topic, msg.payload, one);
    } catch (err) {
      // A bad control, or a channel that throws instead of calling back: `done` still runs once.
      return one(err as Error);
    }
  }
}

/** publishControlsCb as a promise (resolves when the broker has them all). */
export function publishControls(channel: ControlChannel, site: string, controls: Record<string, Control>): Promise<void> {
  return new Promise((resolve, reject) => publishControlsCb(channel, site, controls, (err) => (err ? reject(err) : resolve())));
}
