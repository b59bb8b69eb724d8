import { test } from 'node:test';
import assert from 'node:assert/strict';
import { revisionProblems } from './control-revisions.js';

test('rising revisions and byte-identical redeliveries are fine', () => {
  assert.deepEqual(revisionProblems([
    { site: 's', revision: 3, payload: 'a' },
    { site: 't', revision: 1, payload: 'x' },
    { site: 's', revision: 5, payload: 'b' },
    { site: 's', revision: 3, payload: 'a' },
    { site: 's', revision: 5, payload: 'b' },
    { site: 's', revision: 6, payload: 'c' },
  ]), []);
});

test('a new revision below one seen, or one revision with two contents, is a problem', () => {
  assert.deepEqual(revisionProblems([
    { site: 's', revision: 5, payload: 'a' },
    { site: 's', revision: 4, payload: 'b' },
    { site: 's', revision: 5, payload: 'c' },
    { site: 't', revision: 4, payload: 'd' },
  ]), [
    { site: 's', revision: 4, problem: 'went back' },
    { site: 's', revision: 5, problem: 'two contents' },
  ]);
});
