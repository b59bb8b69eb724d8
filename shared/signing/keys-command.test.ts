import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

const cli = fileURLToPath(new URL('../../bin/hashwatt.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('keys generate writes a working Ed25519 pair with a 0600 private key', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hw-keys-')), 'keys');
  const result = run('keys', 'generate', '--out', dir);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /control-signing\.key\.pem/);
  const keyPath = join(dir, 'control-signing.key.pem');
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  const privateKey = createPrivateKey(readFileSync(keyPath));
  const publicKey = createPublicKey(readFileSync(join(dir, 'control-signing.pub.pem')));
  const signature = sign(null, Buffer.from('hello'), privateKey);
  assert.equal(verify(null, Buffer.from('hello'), publicKey, signature), true);
});

test('keys generate refuses to overwrite unless --force', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-keys-'));
  assert.equal(run('keys', 'generate', '--out', dir).status, 0);
  const before = readFileSync(join(dir, 'control-signing.key.pem'), 'utf8');
  const again = run('keys', 'generate', '--out', dir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists; use --force/);
  assert.equal(readFileSync(join(dir, 'control-signing.key.pem'), 'utf8'), before);
  const forced = run('keys', 'generate', '--out', dir, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.notEqual(readFileSync(join(dir, 'control-signing.key.pem'), 'utf8'), before);
});

test('keys generate without --out is a usage error (exit 2, no stack trace)', () => {
  const result = run('keys', 'generate');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /needs --out DIR/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
});

test('--help describes the commands that exist', () => {
  const top = run('--help');
  assert.equal(top.status, 0);
  assert.match(top.stdout, /keys generate/);
  const keys = run('keys', 'generate', '--help');
  assert.equal(keys.status, 0);
  assert.match(keys.stdout, /--out DIR/);
  assert.match(keys.stdout, /--force/);
  const unknown = run('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});
