import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, passwordProblem, verifyPassword } from './password-hash.js';
import { clearedSessionCookie, readSessionCookie, sessionCookie } from './session-cookie.js';
import { createSignInLimiter } from './sign-in-limiter.js';

test('passwords: scrypt with the parameters in the stored string; right one verifies, wrong one and garbage do not', async () => {
  const stored = await hashPassword('correct horse battery');
  assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(stored, await hashPassword('correct horse battery'), 'salted');
  assert.equal(await verifyPassword('correct horse battery', stored), true);
  assert.equal(await verifyPassword('correct horse batterY', stored), false);
  assert.equal(await verifyPassword('anything', null), false);
  assert.equal(await verifyPassword('anything', 'md5$abc'), false);
  assert.match(passwordProblem('short') ?? '', /at least 10/);
  assert.equal(passwordProblem('long enough pass'), undefined);
});

test('session cookie: HttpOnly, SameSite=Strict, Secure only over TLS; read back from a Cookie header', () => {
  assert.equal(sessionCookie('abc', { maxAgeS: 3600, secure: false }), 'hashwatt_session=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict');
  assert.equal(sessionCookie('abc', { maxAgeS: 3600, secure: true }), 'hashwatt_session=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure');
  assert.match(clearedSessionCookie(true), /^hashwatt_session=; Path=\/; Max-Age=0; .*Secure$/);
  assert.equal(readSessionCookie('a=1; hashwatt_session=xyz; b=2'), 'xyz');
  assert.equal(readSessionCookie('hashwatt_sessionx=1'), undefined);
  assert.equal(readSessionCookie(undefined), undefined);
});

test('sign-in limiter: per address and per username, forgiven after the window', () => {
  let now = 1_000_000;
  const l = createSignInLimiter({ maxFailures: 3, windowMs: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(l.retryAfterS('10.0.0.1', 'bob'), 0);
    l.failed('10.0.0.1', 'bob');
    now += 1000;
  }
  assert.equal(l.retryAfterS('10.0.0.1', 'bob'), 57, 'until the oldest failure leaves the window');
  assert.ok(l.retryAfterS('10.0.0.1', 'alice') > 0, 'same address, other name');
  assert.ok(l.retryAfterS('10.0.0.2', 'BOB') > 0, 'other address, same name (case-insensitive)');
  assert.equal(l.retryAfterS('10.0.0.2', 'alice'), 0);
  now += 60_000;
  assert.equal(l.retryAfterS('10.0.0.1', 'bob'), 0);
});
