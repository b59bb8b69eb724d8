import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestCollector } from '../testing/test-collector.js';
import { testStoreConfig } from '../testing/test-store.js';

// The operator's path on the collector host: create the first admin with the
// CLI, then use what it printed against the running collector's API.
const cli = fileURLToPath(new URL('../../bin/hashwatt.js', import.meta.url));

test('hashwatt users: the first admin from the CLI signs in and uses its token; rotate, disable; bad input is a usage error; all audited as cli', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-users-cli-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'collector.yaml');
  // The store the collector below runs on (SQLite in dataDir, or the PostgreSQL pass's database).
  await writeFile(config, `dataDir: ${dataDir}\nstore: ${JSON.stringify(await testStoreConfig(dataDir))}\nsigning:\n  privateKeyFile: ${dir}/k.key\n  publicKeyFile: ${dir}/k.pub\n`);
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [cli, 'users', ...args, '--config', config], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  try {
    const help = spawnSync(process.execPath, [cli, 'users', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: hashwatt users <list\|add\|set\|token>/);

    const added = run(['add', 'chief', '--role', 'admin', '--password-stdin', '--token', 'ci'], 'chief-password-1\n');
    assert.equal(added.status, 0, added.stderr);
    const token = /^(hwt_\S+)$/m.exec(added.stdout)?.[1];
    assert.ok(token, `a token printed: ${added.stdout}`);
    assert.match(run(['list']).stdout, /^chief\s+admin\s+active\s+password: yes\s+tokens: #1 ci$/m);

    for (const [args, message] of [
      [['add', 'x', '--role', 'wizard'], /--role wizard: expected one of viewer, operator, grid, admin/],
      [['add', 'Bad Name', '--role', 'viewer'], /username "Bad Name"/],
      [['add', 'short', '--role', 'viewer', '--password-stdin'], /at least 10 characters/],
      [['add', 'chief', '--role', 'viewer'], /user chief exists/],
      [['token', 'revoke', 'chief', 'abc'], /TOKEN_ID must be a token number/],
      [['frobnicate'], /unknown verb "frobnicate"/],
    ] as const) {
      const r = run([...args], (args as readonly string[]).includes('--password-stdin') ? 'short\n' : undefined);
      assert.equal(r.status, r.stderr.includes('exists') ? 1 : 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }

    const tc = await startTestCollector({}, { dataDir });
    try {
      const users = await tc.api('/api/v1/users', { token: null, headers: { authorization: `Bearer ${token}` } });
      assert.equal(users.status, 200, users.text);
      assert.deepEqual(users.body.users.map((u: { username: string; role: string }) => [u.username, u.role]), [['chief', 'admin']]);
      const session = await tc.api('/api/v1/session', { method: 'POST', token: null, body: { username: 'chief', password: 'chief-password-1' } });
      assert.equal(session.status, 200);

      const rotated = run(['token', 'rotate', 'chief', '1']);
      assert.equal(rotated.status, 0, rotated.stderr);
      const fresh = /^(hwt_\S+)$/m.exec(rotated.stdout)?.[1];
      assert.equal((await tc.api('/api/v1/me', { token: null, headers: { authorization: `Bearer ${token}` } })).status, 401, 'the rotated-out token stops at once');
      assert.equal((await tc.api('/api/v1/me', { token: null, headers: { authorization: `Bearer ${fresh}` } })).status, 200);
      assert.equal(run(['set', 'chief', '--disable']).status, 0);
      assert.equal((await tc.api('/api/v1/me', { token: null, headers: { authorization: `Bearer ${fresh}` } })).status, 401, 'disabled: tokens stop');

      const log = (await tc.api('/api/v1/audit?actor=' + encodeURIComponent(userInfo().username), { token: 'viewer' })).body.entries;
      assert.deepEqual(log.map((e: { action: string; actorKind: string }) => [e.action, e.actorKind]), [['user.update', 'cli'], ['token.rotate', 'cli'], ['token.create', 'cli'], ['user.create', 'cli']]);
    } finally {
      await tc.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
