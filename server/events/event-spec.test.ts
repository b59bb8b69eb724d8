import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRequestSchema } from './event-spec.js';

test('an event reason with a lone surrogate is refused at the API, naming the field (it could not be signed)', () => {
  const base = { scope: { all: true }, kind: 'full', durationS: 60 };
  assert.equal(EventRequestSchema.safeParse({ ...base, reason: 'peak 😀' }).success, true);
  const bad = EventRequestSchema.safeParse({ ...base, reason: JSON.parse('"peak \\ud83d"') });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues.map((i) => [i.path.join('.'), i.message]), [['reason', 'reason holds a lone UTF-16 surrogate, which a signed control cannot carry']]);
});
