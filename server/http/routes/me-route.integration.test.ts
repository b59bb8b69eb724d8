import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../../testing/test-collector.js';

test('GET /api/v1/me names the caller and role of each bearer token, refuses others, and is in the OpenAPI document', async () => {
  const prefix = `m${Math.random().toString(36).slice(2, 8)}`;
  const tc = await startTestCollector({}, { prefix, serveSites: [`${prefix}-none`] });
  try {
    for (const role of ['viewer', 'operator', 'grid', 'admin'] as const) {
      const me = await tc.api('/api/v1/me', { token: role });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { name: role, role, kind: 'service', via: 'token' });
    }
    const none = await tc.api('/api/v1/me', { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'unauthorized');
    assert.equal((await tc.api('/api/v1/me', { token: null, headers: { authorization: 'Bearer wrong' } })).status, 401);

    const doc = await tc.api('/api/v1/openapi.json', { token: null });
    const op = doc.body.paths['/api/v1/me'].get;
    assert.deepEqual(op['x-roles'], ['viewer', 'operator', 'grid', 'admin']);
    const schema = op.responses['200'].content['application/json'].schema;
    assert.deepEqual(Object.keys(schema.properties).sort(), ['kind', 'name', 'role', 'via']);
    assert.deepEqual(schema.properties.role.enum, ['viewer', 'operator', 'grid', 'admin']);
  } finally {
    await tc.stop();
  }
});
