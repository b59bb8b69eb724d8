import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, isInfinite } from './iso-duration.js';

test('ISO 8601 durations as the OpenADR schema allows them', () => {
  const cases: Array<[string, number]> = [['PT1H', 3_600_000], ['PT30M', 1_800_000], ['PT15S', 15_000], ['PT0.5S', 500], ['P1D', 86_400_000], ['P1W', 604_800_000], ['P1DT2H', 93_600_000], ['PT0S', 0]];
  for (const [text, ms] of cases) assert.equal(durationMs(text), ms, text);
  assert.ok(isInfinite('P9999Y'));
  assert.throws(() => durationMs('1 hour'), /'1 hour' is not an ISO 8601 duration/);
  assert.throws(() => durationMs('P'), /not an ISO 8601 duration/);
});
