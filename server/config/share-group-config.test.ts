import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues } from '../../shared/protocol/codec.js';
import { CollectorConfigSchema } from './collector-config.js';

const base = { dataDir: '/tmp/x', signing: { privateKeyFile: 'k', publicKeyFile: 'p' }, broker: { url: 'mqtt://127.0.0.1:1883' } };

function problems(config: Record<string, unknown>): Array<{ path: string; message: string }> {
  const r = CollectorConfigSchema.safeParse(config);
  return r.success ? [] : formatIssues(r.error.issues);
}

test('ingest.shareGroup is optional and taken as written when it is one MQTT topic level', () => {
  assert.equal(CollectorConfigSchema.parse(base).ingest.shareGroup, undefined);
  assert.equal(CollectorConfigSchema.parse({ ...base, ingest: { shareGroup: 'hashwatt-ingest' } }).ingest.shareGroup, 'hashwatt-ingest');
});

test('a share group that is not one topic level is refused, naming the field and the reason', () => {
  for (const [group, reason] of [['a/b', /must not contain "\/", "\+" or "#"/], ['', /is empty/], ['in gest', /whitespace/]] as const) {
    const found = problems({ ...base, ingest: { shareGroup: group } });
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]!.path, 'ingest.shareGroup');
    assert.match(found[0]!.message, reason);
  }
});

test('a share group without an external broker is refused: the embedded broker has no shared subscriptions', () => {
  const { broker: _external, ...embedded } = base;
  const found = problems({ ...embedded, ingest: { shareGroup: 'g' } });
  assert.deepEqual(found.map((p) => p.path), ['ingest.shareGroup']);
  assert.match(found[0]!.message, /needs an external broker \(broker\.url\)/);
});

test('in a share group a collector keeps no session (a dead one\'s turn goes to the live ones) and a gap waits out the agents\' resend; set values win', () => {
  const alone = CollectorConfigSchema.parse(base).ingest;
  assert.deepEqual([alone.sessionExpiryS, alone.gapTimeoutS], [3600, 60]);
  const shared = CollectorConfigSchema.parse({ ...base, ingest: { shareGroup: 'g' } }).ingest;
  assert.deepEqual([shared.sessionExpiryS, shared.gapTimeoutS], [0, 120]);
  assert.deepEqual(problems({ ...base, ingest: { sessionExpiryS: -1 } }).map((p) => p.path), ['ingest.sessionExpiryS']);
  const chosen = CollectorConfigSchema.parse({ ...base, ingest: { shareGroup: 'g', sessionExpiryS: 30, gapTimeoutS: 90 } }).ingest;
  assert.deepEqual([chosen.sessionExpiryS, chosen.gapTimeoutS], [30, 90]);
});
