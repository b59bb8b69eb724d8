import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIssues } from '../../shared/protocol/codec.js';
import { NotificationsConfigSchema, WebhookConfigSchema } from '../config/notify-config.js';
import { backoffMs, signBody, wants, webhookBody } from './webhook-message.js';

test('signature: HMAC-SHA256 per RFC 4231 test case 1, as sha256=<hex>', () => {
  assert.equal(signBody('\x0b'.repeat(20), 'Hi There'), 'sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
});

test('body: id, type, ts and data; a fresh id per notification', () => {
  const a = JSON.parse(webhookBody('alert.opened', { kind: 'agent_offline' }, 42));
  const b = JSON.parse(webhookBody('alert.opened', { kind: 'agent_offline' }, 42));
  assert.deepEqual(Object.keys(a), ['id', 'type', 'ts', 'data']);
  assert.deepEqual([a.type, a.ts, a.data], ['alert.opened', 42, { kind: 'agent_offline' }]);
  assert.notEqual(a.id, b.id);
});

test('backoff doubles from the initial delay up to the cap, with ±20 % jitter', () => {
  const mid = () => 0.5;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 5, 300, mid)), [5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(backoffMs(1, 5, 300, () => 0), 4000);
  assert.equal(backoffMs(1, 5, 300, () => 1), 6000);
});

test('targets choose types and alert kinds', () => {
  const t = WebhookConfigSchema.parse({ name: 'x', url: 'https://hooks.example/a', types: ['alert.opened', 'event.created'], alertKinds: ['agent_offline'] });
  assert.equal(wants(t, 'alert.opened', 'agent_offline'), true);
  assert.equal(wants(t, 'alert.opened', 'over_allocation'), false);
  assert.equal(wants(t, 'alert.closed', 'agent_offline'), false);
  assert.equal(wants(t, 'event.created'), true);
  const all = WebhookConfigSchema.parse({ name: 'y', url: 'http://127.0.0.1:9000/' });
  assert.equal(all.types.length, 6);
  assert.equal(wants(all, 'violation.closed'), true);
});

test('bad webhook config names each bad field', () => {
  const r = NotificationsConfigSchema.safeParse({ webhooks: [{ name: 'has space', url: 'ftp://x', types: ['alert.nope'], secret: 'short' }] });
  assert.equal(r.success, false);
  const issues = formatIssues(r.error!.issues).map((i) => `${i.path}: ${i.message}`);
  for (const path of ['webhooks.0.name', 'webhooks.0.url', 'webhooks.0.types.0', 'webhooks.0.secret']) assert.ok(issues.some((i) => i.startsWith(`${path}:`)), `${path} in ${issues.join('; ')}`);
  const dup = NotificationsConfigSchema.safeParse({ webhooks: [{ name: 'b', url: 'http://a/' }, { name: 'b', url: 'http://a/' }] });
  assert.match(dup.error?.issues[0]?.message ?? '', /names must be unique/);
});
