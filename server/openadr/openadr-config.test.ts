import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues } from '../../shared/protocol/codec.js';
import { CollectorConfigSchema } from '../config/collector-config.js';

const base = { dataDir: '/tmp/x', signing: { privateKeyFile: 'k', publicKeyFile: 'p' } };

test('a bad openadr section names each bad field', () => {
  const r = CollectorConfigSchema.safeParse({ ...base, openadr: { vtnUrl: 'not a url', auth: { clientId: 'c' }, venName: 'v', programs: [], resources: [{ name: 'r' }], simple: { levels: { 2: { percent: 150 } } } } });
  assert.equal(r.success, false);
  const paths = formatIssues(r.error!.issues).map((i) => i.path).sort();
  assert.deepEqual(paths, ['openadr.auth.clientSecret', 'openadr.programs', 'openadr.resources.0', 'openadr.simple.levels.2.percent', 'openadr.vtnUrl']);
  assert.match(formatIssues(r.error!.issues).find((i) => i.path === 'openadr.resources.0')!.message, /a resource maps to all: true, or at least one site or region/);
});

test('without an openadr section the collector runs without a VEN; with one, defaults fill in', () => {
  assert.equal(CollectorConfigSchema.parse(base).openadr, undefined);
  const c = CollectorConfigSchema.parse({ ...base, openadr: { vtnUrl: 'https://vtn.example/oadr', auth: { clientId: 'c', clientSecret: 's' }, venName: 'v', programs: ['p'], resources: [{ name: 'r', all: true }] } }).openadr!;
  assert.deepEqual([c.pollS, c.retryMinS, c.retryMaxS, c.reportDelayS, c.simple.levels[3]], [30, 5, 300, 30, { percent: 100 }]);
});
