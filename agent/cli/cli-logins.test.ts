import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors.js';
import { addLoginFlag, withLogin } from '../drivers/miners/logins.js';
import { endpointWithLogin, loginHint, readCliLogins } from './cli-logins.js';
import { AgentConfigSchema } from '../config/agent-config.js';
import { parseConfig } from '../../shared/config/load-config.js';

const base = { id: '10.0.0.5', host: '10.0.0.5', port: 4029 };

test('--login: per family and per miner; the most specific login wins, then --user/--password', () => {
  const set = readCliLogins({ login: ['braiins=root:b:with:colons', '10.0.0.5:4029=admin:own', 'whatsminer=super:w'], user: 'any', password: 'anypw' }, {});
  assert.deepEqual(endpointWithLogin(base, 'braiins', set), { ...base, username: 'admin', password: 'own' }, 'this miner has its own');
  const other = { id: '10.0.0.6', host: '10.0.0.6' };
  assert.deepEqual(endpointWithLogin(other, 'braiins', set), { ...other, username: 'root', password: 'b:with:colons' }, 'the password keeps its colons');
  assert.deepEqual(endpointWithLogin(other, 'antminer', set), { ...other, username: 'any', password: 'anypw' }, 'no antminer login: the catch-all');
  assert.deepEqual(endpointWithLogin(other, 'luxos', readCliLogins({}, {})), other, 'nothing given: the driver uses the factory default');
});

test('--login: bad input is a usage error that never repeats the password', () => {
  for (const bad of ['braiins', 'braiins=rootsecret', '=root:x', 'not a host=root:s3cret']) {
    assert.throws(() => addLoginFlag({}, bad), (e: unknown) => isAppError(e, 'USAGE') && !e.message.includes('s3cret') && !e.message.includes('rootsecret'), bad);
  }
});

test('--logins FILE and the HASHWATT_LOGINS__ environment; a bad file names the file and the field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-logins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'logins.yaml');
  writeFileSync(file, 'antminer: { username: root, password: a }\nminers:\n  "10.0.0.5:4029": { username: admin, password: own }\n');
  const set = readCliLogins({ logins: file }, { HASHWATT_LOGINS__BRAIINS__PASSWORD: 'from-env' });
  assert.deepEqual(set.logins.antminer, { username: 'root', password: 'a' });
  assert.deepEqual(set.logins.braiins, { password: 'from-env' });
  assert.equal(endpointWithLogin(base, 'antminer', set).username, 'admin');

  writeFileSync(file, 'antminr: { username: root }\n');
  assert.throws(() => readCliLogins({ logins: file }, {}), (e: unknown) => isAppError(e, 'CONFIG_INVALID') && e.message.includes(file) && e.message.includes('antminr'));
});

test('login hint names the firmware and the user, never the password', () => {
  assert.match(loginHint('whatsminer', { ...base, username: 'super', password: 'p4ss' }), /the whatsminer login \(user 'super'\) was refused; give it with --login whatsminer=USER:PASSWORD/);
  assert.doesNotMatch(loginHint('whatsminer', { ...base, username: 'super', password: 'p4ss' }), /p4ss/);
  assert.match(loginHint('braiins', base), /no braiins login was given/);
});

test('agent config: logins per family, a miner\'s own login wins', () => {
  const config = AgentConfigSchema.parse({
    site: 's1', agent: 'a1', broker: { url: 'mqtt://127.0.0.1:1883' }, controlPublicKeys: ['k'],
    logins: { braiins: { username: 'root', password: 'fam' } },
    miners: [{ host: '10.0.0.7', firmware: 'braiins', password: 'mine' }],
  });
  const entry = config.miners[0]!;
  const endpoint = withLogin({ id: '10.0.0.7', host: entry.host, ...(entry.password !== undefined ? { password: entry.password } : {}) }, 'braiins', config.logins);
  assert.deepEqual(endpoint, { id: '10.0.0.7', host: '10.0.0.7', username: 'root', password: 'mine' });
  const yaml = "site: s1\nagent: a1\nbroker: { url: 'mqtt://127.0.0.1:1883' }\ncontrolPublicKeys: [k]\nlogins: { braiins: { username: root } }\n";
  const fromEnv = parseConfig(yaml, 'agent.yaml', AgentConfigSchema, { env: { HASHWATT_LOGINS__BRAIINS__PASSWORD: 'env-pw', HASHWATT_LOGINS__LUXOS__PASSWORD: '1234' } });
  assert.deepEqual(fromEnv.logins?.braiins, { username: 'root', password: 'env-pw' }, 'the password can live in the environment (agent.env)');
  assert.deepEqual(fromEnv.logins?.luxos, { password: '1234' }, 'a password of digits is still text');
  const bad = AgentConfigSchema.safeParse({ site: 's1', agent: 'a1', broker: { url: 'mqtt://127.0.0.1:1883' }, controlPublicKeys: ['k'], logins: { bitmain: {} } });
  assert.equal(bad.success, false);
});
