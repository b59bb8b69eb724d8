import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertsConfigSchema } from '../config/collector-config.js';
import { AlertEvaluator, alertCandidates, alertKey, type AlertInputs } from './alert-rules.js';

const config = AlertsConfigSchema.parse({ offlineAfterPolls: 3, defaultPollIntervalS: 10, controlConfirmTimeoutS: 60, divergenceRatio: 0.2, divergenceForS: 30, divergenceMinKw: 5 });
const NOW = 1_000_000;
const agent = (over: Partial<AlertInputs['agents'][number]> = {}): AlertInputs['agents'][number] =>
  ({ siteId: 1, agentId: 10, agent: 'a1', stateOnline: true, lastSeen: NOW - 1000, pollIntervalS: null, sampleTs: NOW - 1000, meterKw: 1000, minerKw: 950, ...over });
const inputs = (over: Partial<AlertInputs> = {}): AlertInputs => ({ agents: [agent()], sites: [], targets: [], gaps: [], ...over });
const kinds = (i: AlertInputs) => alertCandidates(i, config, NOW).map((c) => c.kind);

test('a healthy agent raises nothing', () => {
  assert.deepEqual(kinds(inputs()), []);
});

test('agent offline: retained state false, or silent for N poll intervals (its own interval when the birth says)', () => {
  assert.deepEqual(kinds(inputs({ agents: [agent({ stateOnline: false })] })), ['agent_offline']);
  assert.deepEqual(kinds(inputs({ agents: [agent({ lastSeen: NOW - 29_000 })] })), [], '3 × 10 s not yet passed');
  assert.deepEqual(kinds(inputs({ agents: [agent({ lastSeen: NOW - 31_000 })] })), ['agent_offline']);
  assert.deepEqual(kinds(inputs({ agents: [agent({ lastSeen: NOW - 31_000, pollIntervalS: 60 })] })), [], 'a 60 s poller is not late');
  const [c] = alertCandidates(inputs({ agents: [agent({ stateOnline: false })] }), config, NOW);
  assert.equal(c!.details.reason, 'state_offline');
  assert.equal(c!.agentId, 10);
});

test('meter divergence beyond the ratio and the noise floor, held for divergenceForS', () => {
  assert.deepEqual(kinds(inputs({ agents: [agent({ meterKw: 1000, minerKw: 700 })] })), ['meter_divergence']);
  assert.deepEqual(kinds(inputs({ agents: [agent({ meterKw: 1000, minerKw: 810 })] })), [], '19 % is within 20 %');
  assert.deepEqual(kinds(inputs({ agents: [agent({ meterKw: 3, minerKw: 0 })] })), [], 'below the 5 kW floor');
  assert.deepEqual(kinds(inputs({ agents: [agent({ meterKw: null, minerKw: 0 })] })), [], 'no meter, nothing to compare');
  const [c] = alertCandidates(inputs({ agents: [agent({ meterKw: 1000, minerKw: 700 })] }), config, NOW);
  assert.equal(c!.holdMs, 30_000);
  assert.equal(c!.details.ratio, 0.3);
});

test('site conditions: open violation, hard cap, unconfirmed controls merged per site, telemetry gaps per agent', () => {
  const i = inputs({
    sites: [{ siteId: 1, openViolation: { openedAt: 5, allocationKw: 1000, peakKw: 1300 }, hardCap: { averageKw: 1500, hardCapKw: 1400 } }],
    targets: [{ siteId: 2, eventId: 'e1', state: 'sent', targetKw: 500, revision: 3, sentAt: NOW - 5000 }, { siteId: 2, eventId: 'e2', state: 'holding', targetKw: 400, revision: 3, sentAt: NOW - 9000 }],
    gaps: [{ siteId: 1, agentId: 10, count: 2, missingSeqs: 7, lastDetectedAt: NOW - 100 }],
  });
  const cs = alertCandidates(i, config, NOW);
  assert.deepEqual(cs.map((c) => c.kind).sort(), ['control_unconfirmed', 'hard_cap_exceeded', 'over_allocation', 'telemetry_gap']);
  const ctl = cs.find((c) => c.kind === 'control_unconfirmed')!;
  assert.equal(ctl.siteId, 2);
  assert.equal(ctl.since, NOW - 9000, 'the oldest send');
  assert.equal((ctl.details.targets as unknown[]).length, 2);
});

test('the evaluator opens after the hold time, keeps an open alert while it holds, closes when it clears', () => {
  const ev = new AlertEvaluator();
  const c = { kind: 'meter_divergence' as const, siteId: 1, agentId: 10, details: {}, holdMs: 30_000 };
  const key = alertKey(c);
  assert.deepEqual(ev.decide([c], [], 0).open, []);
  assert.deepEqual(ev.decide([c], [], 29_000).open, []);
  assert.deepEqual(ev.decide([c], [], 30_000).open, [c]);
  assert.deepEqual(ev.decide([c], [key], 40_000), { open: [], close: [] });
  assert.deepEqual(ev.decide([], [key], 50_000), { open: [], close: [key] });
  // Back again: the hold time starts over.
  assert.deepEqual(ev.decide([c], [], 60_000).open, []);
  assert.deepEqual(ev.decide([c], [], 90_000).open, [c]);
});

test('a known start (a control sent long ago) counts on first sight, but not when the condition comes back later', () => {
  const ev = new AlertEvaluator();
  const c = { kind: 'control_unconfirmed' as const, siteId: 2, agentId: null, details: {}, since: 0, holdMs: 60_000 };
  assert.deepEqual(ev.decide([c], [], 70_000).open, [c], 'sent 70 s ago, timeout 60 s');
  ev.decide([], [alertKey(c)], 80_000); // confirmed
  assert.deepEqual(ev.decide([c], [], 90_000).open, [], 'regressed just now: a fresh 60 s');
  assert.deepEqual(ev.decide([c], [], 150_000).open, [c]);
});

test('an open alert restored after a restart stays open while its condition holds, even within the hold time', () => {
  const ev = new AlertEvaluator();
  const c = { kind: 'meter_divergence' as const, siteId: 1, agentId: 10, details: {}, holdMs: 30_000 };
  assert.deepEqual(ev.decide([c], [alertKey(c)], 0), { open: [], close: [] });
});

test('a scoped decision leaves other sites\' alerts alone', () => {
  const ev = new AlertEvaluator();
  const other = 'agent_offline:9:1';
  assert.deepEqual(ev.decide([], [other, 'hard_cap_exceeded:1:'], 0, (k) => k.split(':')[1] === '1').close, ['hard_cap_exceeded:1:']);
});
