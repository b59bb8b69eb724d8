import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../bin/hashwatt.js', import.meta.url));
const hashwatt = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });

test('conformance agent without --key is a usage error that says what is missing', () => {
  const r = hashwatt('conformance', 'agent', '--broker', 'mqtt://127.0.0.1:1', '--site', 's', '--agent', 'a');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs --key PEM/);
});

test('conformance refuses a bad id, naming the flag', () => {
  const r = hashwatt('conformance', 'collector', '--broker', 'mqtt://127.0.0.1:1', '--site', 'Site#1', '--agent', 'a');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--site "Site#1"/);
});

test('conformance against an unreachable broker fails with the broker named, not a stack trace', () => {
  const r = hashwatt('conformance', 'collector', '--broker', 'mqtt://127.0.0.1:1', '--site', 's', '--agent', 'a', '--timeout-s', '2');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot connect to the broker at mqtt:\/\/127\.0\.0\.1:1/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--help of both modes documents the exit codes', () => {
  for (const mode of ['agent', 'collector']) {
    const r = hashwatt('conformance', mode, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Exit codes: 0 every requirement passed/);
  }
});
