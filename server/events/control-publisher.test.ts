import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from '../../shared/signing/canonical-json.js';
import { ControlSchema, decode } from '../../shared/protocol/index.js';
import { verifyPayload } from '../../shared/signing/control-signing.js';
import type { ControlChannel } from './control-channel.js';
import { buildSignedControls, controlMessage, publishControlsCb } from './control-publisher.js';
import { effectiveControl, type SiteWish } from './effective-control.js';

const keys = generateKeyPairSync('ed25519');
const now = 1_700_000_000_000;
const wish = (over: Partial<SiteWish>): SiteWish => ({
  eventId: 'e1', priority: 'normal', mode: 'max_kw', value: 800, targetKw: 800, startTs: now, endTs: now + 600_000, reason: 'x'.repeat(500), ...over,
});
const agents = [{ agent: 'a1', kw: 600, hashing: 200 }, { agent: 'a2', kw: 400, hashing: 100 }];

// The fan-out does not run each control through the schema: every shape it can build must pass it.
const cases: Array<[string, SiteWish[]]> = [
  ['max_kw', [wish({})]],
  ['sleep_count', [wish({ mode: 'sleep_count', value: 150, priority: 'high' })]],
  ['full, emergency', [wish({ mode: 'full', value: null, targetKw: 0, priority: 'emergency' })]],
  ['none (restore)', []],
  ['scheduled ahead', [wish({ startTs: now + 60_000, endTs: now + 120_000 })]],
  ['staggered events (a long schedule)', Array.from({ length: 120 }, (_, i) => wish({ eventId: `s${String(i).padStart(3, '0')}`, value: 100 + i, targetKw: 100 + i, startTs: now + i * 1000, endTs: now + 600_000 + i * 60_000 }))],
  ['120 overlapping events', Array.from({ length: 120 }, (_, i) => wish({ eventId: `e${String(i).padStart(3, '0')}`, value: 800 - i }))],
];

for (const [name, wishes] of cases) {
  test(`built controls pass the wire schema, decode on their topic and verify: ${name}`, () => {
    const controls = buildSignedControls('site-1', agents, effectiveControl(wishes, now), 7, now, 60, keys);
    assert.deepEqual(Object.keys(controls), ['a1', 'a2']);
    for (const [agent, control] of Object.entries(controls)) {
      const parsed = ControlSchema.safeParse(control);
      assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
      const msg = controlMessage('site-1', agent, control);
      const decoded = decode(msg.topic, msg.payload);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      assert.equal(decoded.message.kind, 'control');
      assert.deepEqual(verifyPayload(decoded.message.raw, [keys.publicKey]).ok, true);
    }
  });
}

test('a site control is split over its agents pro rata to their draw', () => {
  const controls = buildSignedControls('site-1', agents, effectiveControl([wish({ value: 1000 })], now), 7, now, 60, keys);
  assert.equal(controls.a1!.value, 600);
  assert.equal(controls.a2!.value, 400);
});

test('controlMessage refuses a bad agent id with a clear error', () => {
  const [control] = Object.values(buildSignedControls('site-1', [agents[0]!], effectiveControl([], now), 1, now, 60, keys));
  assert.throws(() => controlMessage('site-1', 'bad/agent', control!), /agent id "bad\/agent"/);
});

test('each step of the schedule is split over the agents like the top level', () => {
  const c = effectiveControl([wish({ eventId: 'a', value: 60, targetKw: 60, endTs: now + 240_000 }), wish({ eventId: 'b', value: 50, targetKw: 50, endTs: now + 100_000 })], now);
  const controls = buildSignedControls('site-1', agents, c, 7, now, 60, keys);
  assert.deepEqual(controls.a1!.schedule!.map((s) => s.value), [30, 36]);
  assert.deepEqual(controls.a2!.schedule!.map((s) => s.value), [20, 24]);
});

// The fan-out writes each control's canonical text by hand: it must be byte for byte what
// canonicalJson writes (what the agent recomputes to verify), for every shape and any text.
for (const [name, wishes] of cases) {
  test(`the published bytes are the canonical JSON that was signed, plus sig: ${name}`, () => {
    const controls = buildSignedControls('site-1', agents, effectiveControl(wishes, now), 7, now, 60, keys);
    for (const [agent, control] of Object.entries(controls)) {
      const text = controlMessage('site-1', agent, control).payload.toString('utf8');
      const { sig, ...body } = control;
      assert.equal(text, `${canonicalJson(body).slice(0, -1)},"sig":"${sig}"}`);
      assert.deepEqual(JSON.parse(text), control);
    }
  });
}

test('hand-written canonical text matches canonicalJson for any reason, ids and values', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 60, unit: 'grapheme' }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
      fc.double({ min: 0, max: 1e9, noNaN: true }), fc.constantFrom('max_kw', 'sleep_count', 'full') ,
      (reason, ids, value, mode) => {
        const base = effectiveControl([wish({ reason, mode: mode as SiteWish['mode'], value: mode === 'full' ? null : value, targetKw: value })], now);
        const controls = buildSignedControls('site-1', [agents[0]!], { ...base, eventIds: ids }, 9, now, 60, keys);
        const control = controls.a1!;
        const text = controlMessage('site-1', 'a1', control).payload.toString('utf8');
        const { sig, ...body } = control;
        assert.equal(text, `${canonicalJson(body).slice(0, -1)},"sig":"${sig}"}`);
        assert.equal(verifyPayload(JSON.parse(text) as Record<string, unknown>, [keys.publicKey]).ok, true);
      },
    ),
    { numRuns: 200 },
  );
});

test('a lone surrogate in the reason is refused, as canonicalJson refuses it', () => {
  assert.throws(() => buildSignedControls('site-1', [agents[0]!], { ...effectiveControl([wish({})], now), reason: 'bad \ud800' }, 9, now, 60, keys), /lone UTF-16 surrogate/);
});

test('publishControlsCb calls back once: after every PUBACK, or with the first error', () => {
  const controls = buildSignedControls('site-1', agents, effectiveControl([wish({})], now), 7, now, 60, keys);
  const acks: Array<(err?: Error) => void> = [];
  // A channel that hands back each message's completion callback (the broker's PUBACK over MQTT).
  const channel: ControlChannel = { publish: (_t, _p, cb) => { acks.push(cb); } };
  const calls: Array<Error | undefined> = [];
  publishControlsCb(channel, 'site-1', controls, (err) => calls.push(err));
  assert.equal(acks.length, 2);
  acks[0]!();
  assert.equal(calls.length, 0, 'not before every agent\'s control is acknowledged');
  acks[1]!();
  assert.deepEqual(calls, [undefined]);

  const failed: Array<Error | undefined> = [];
  acks.length = 0;
  publishControlsCb(channel, 'site-1', controls, (err) => failed.push(err));
  acks[0]!(new Error('connection lost'));
  acks[1]!();
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.message, /connection lost/);

  const thrown: Array<Error | undefined> = [];
  const throwing: ControlChannel = { publish: () => { throw new Error('client ended'); } };
  publishControlsCb(throwing, 'site-1', controls, (err) => thrown.push(err));
  assert.equal(thrown.length, 1);
  assert.match(thrown[0]!.message, /client ended/);
});
