import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePassword, hashMosquittoPassword, passwordFileLine, verifyMosquittoPassword } from './mosquitto-password.js';

test('$7$ hash: known salt gives a stable PBKDF2-SHA512 value that verifies', () => {
  const salt = Buffer.from('000102030405060708090a0b', 'hex');
  const hash = hashMosquittoPassword('secret', { salt });
  assert.match(hash, /^\$7\$101\$AAECAwQFBgcICQoL\$[A-Za-z0-9+/]{86}==$/);
  assert.equal(hash, hashMosquittoPassword('secret', { salt }));
  assert.equal(verifyMosquittoPassword(hash, 'secret'), true);
  assert.equal(verifyMosquittoPassword(hash, 'Secret'), false);
  assert.throws(() => verifyMosquittoPassword('$6$abc', 'x'), /not a mosquitto \$7\$/);
});

test('a hash written by mosquitto_passwd verifies with our code', { skip: spawnSync('mosquitto_passwd', ['-h']).error ? 'mosquitto_passwd not installed' : undefined }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-passwd-'));
  try {
    const file = join(dir, 'passwd');
    const r = spawnSync('mosquitto_passwd', ['-c', '-b', file, 'agent.s.a', 'p4ss-word'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [user, hash] = readFileSync(file, 'utf8').trim().split(':');
    assert.equal(user, 'agent.s.a');
    assert.match(hash!, /^\$7\$/);
    assert.equal(verifyMosquittoPassword(hash!, 'p4ss-word'), true);
    assert.equal(verifyMosquittoPassword(hash!, 'p4ss-wort'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generated passwords are 32 alphanumerics starting with a letter, and differ', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = generatePassword();
    assert.match(p, /^[A-Za-z][A-Za-z0-9]{31}$/);
    seen.add(p);
  }
  assert.equal(seen.size, 200);
});

test('password-file lines refuse usernames that would break the file', () => {
  assert.throws(() => passwordFileLine('a:b', 'x'), /may not contain/);
  assert.match(passwordFileLine('agent.s.a', 'x'), /^agent\.s\.a:\$7\$101\$/);
});
