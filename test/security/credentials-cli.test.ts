import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait-for.js';
import { collect, connectAs, endAll } from './mqtt-clients.js';
import { skipReason, startProductionBroker, type ProductionBroker } from './production-broker.js';

// The operator's path: run the CLI, append what it printed/wrote to the
// broker's passwd and acl, reload, and the new gateway logs in with exactly
// the files it was given, by password and by certificate.
const cli = fileURLToPath(new URL('../../bin/hashwatt.js', import.meta.url));
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
const skip = skipReason();
if (skip) process.stdout.write(`# skipping credential tool tests against mosquitto: ${skip}\n`);

describe('hashwatt credentials', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hashwatt-cred-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help for both commands; bad ids and missing options are usage errors', () => {
    for (const sub of ['add-agent', 'add-collector']) {
      const r = run(['credentials', sub, '--help'], dir);
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`Usage: hashwatt credentials ${sub}`));
    }
    const bad = run(['credentials', 'add-agent', '--site', 'Bad_Site', '--agent', 'gw-1'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /site id "Bad_Site"/);
    assert.equal(run(['credentials', 'add-agent', '--site', 's1'], dir).status, 2);
  });

  test('password mode: secret only in 0600 files unless --show-secret; a second run refuses to overwrite', () => {
    const out = join(dir, 'gw-1');
    const r = run(['credentials', 'add-agent', '--site', 'cli-site', '--agent', 'gw-1', '--out', out], dir);
    assert.equal(r.status, 0, r.stderr);
    const password = readFileSync(join(out, 'password'), 'utf8').trim();
    assert.ok(!r.stdout.includes(password), 'the password was printed without --show-secret');
    for (const f of ['password', 'broker.env', 'passwd']) assert.equal(statSync(join(out, f)).mode & 0o777, 0o600, f);
    assert.match(readFileSync(join(out, 'broker.env'), 'utf8'), new RegExp(`^HASHWATT_BROKER__PASSWORD=${password}$`, 'm'));
    assert.match(r.stdout, /^agent\.cli-site\.gw-1:\$7\$101\$/m);
    assert.match(r.stdout, /^user agent\.cli-site\.gw-1$/m);
    const again = run(['credentials', 'add-agent', '--site', 'cli-site', '--agent', 'gw-1', '--out', out], dir);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
    const shown = run(['credentials', 'add-agent', '--site', 'cli-site', '--agent', 'gw-9', '--out', join(dir, 'gw-9'), '--show-secret'], dir);
    assert.ok(shown.stdout.includes(`password: ${readFileSync(join(dir, 'gw-9', 'password'), 'utf8').trim()}`));
  });

  describe('what the tool writes works on the shipped broker', { skip }, () => {
    let broker: ProductionBroker;
    before(async () => {
      broker = await startProductionBroker([]);
    });
    after(async () => broker?.stop());

    test('password and certificate identities log in after a reload and are confined by their ACL blocks', async () => {
      const pw = run(['credentials', 'add-agent', '--site', 'new-site', '--agent', 'pw-gw', '--out', join(dir, 'pw')], dir);
      assert.equal(pw.status, 0, pw.stderr);
      const cert = run(['credentials', 'add-agent', '--site', 'new-site', '--agent', 'cert-gw', '--cert', '--ca-dir', join(broker.dir, 'ca'), '--out', join(dir, 'cert')], dir);
      assert.equal(cert.status, 0, cert.stderr);
      assert.equal(statSync(join(dir, 'cert', 'client.key.pem')).mode & 0o777, 0o600);
      const password = readFileSync(join(dir, 'pw', 'password'), 'utf8').trim();
      const pwOptions = { url: broker.plainUrl, username: 'agent.new-site.pw-gw', password };
      await assert.rejects(connectAs(pwOptions), /Not authorized/i, 'unknown before the broker learns it');

      appendFileSync(join(broker.dir, 'passwd'), readFileSync(join(dir, 'pw', 'passwd')));
      appendFileSync(join(broker.dir, 'acl'), `\n${readFileSync(join(dir, 'pw', 'acl.conf'), 'utf8')}\n${readFileSync(join(dir, 'cert', 'acl.conf'), 'utf8')}`);
      broker.mosquitto.reload();
      const byPassword = await waitFor('password login after SIGHUP', () => connectAs(pwOptions).catch(() => undefined), { timeoutMs: 5000 });
      const byCert = await connectAs({
        url: broker.tlsUrl,
        ca: readFileSync(join(dir, 'cert', 'ca.crt.pem')),
        cert: readFileSync(join(dir, 'cert', 'client.crt.pem')),
        key: readFileSync(join(dir, 'cert', 'client.key.pem')),
      });
      const collector = await connectAs(broker.options('hashwatt-collector', 'tls'));
      try {
        const seen = collect(collector);
        await collector.subscribeAsync('hashwatt/v1/+/+/telemetry', { qos: 1 });
        await assert.rejects(byPassword.publishAsync('hashwatt/v1/new-site/cert-gw/telemetry', 'forged', { qos: 1 }), /Not authorized/);
        await byPassword.publishAsync('hashwatt/v1/new-site/pw-gw/telemetry', 'pw ok', { qos: 1 });
        await byCert.publishAsync('hashwatt/v1/new-site/cert-gw/telemetry', 'cert ok', { qos: 1 });
        await waitFor('both identities’ own telemetry', () => seen.some((m) => m.payload === 'pw ok') && seen.some((m) => m.payload === 'cert ok'));
        assert.ok(!seen.some((m) => m.payload === 'forged'));
      } finally {
        await endAll(byPassword, byCert, collector);
      }
    });
  });
});
