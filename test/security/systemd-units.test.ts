import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `systemd-analyze verify` parses a unit as systemd would and checks that the
// ExecStart binary exists. The units run /usr/bin/node (the Debian/NodeSource
// path); where node lives elsewhere, the copy under test points ExecStart at
// this node instead, and says so. The script argument (/opt/hashwatt/...) is
// not checked by systemd, so it needs no stand-in.
const repoRoot = new URL('../../../', import.meta.url);
const UNITS = ['hashwatt-agent.service', 'hashwatt-collector.service'];
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

let skip: string | undefined;
if (!ANALYZE) {
  skip = 'systemd-analyze is not installed (apt-get install systemd)';
  if (process.env.CI === 'true') throw new Error(`${skip}; under CI=true that is a failure`);
  process.stdout.write(`# skipping systemd unit checks: ${skip}\n`);
}

function verify(dir: string, names: string[]): { status: number | null; output: string } {
  const r = spawnSync(ANALYZE!, ['verify', ...names.map((n) => join(dir, n))], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function copyUnits(dir: string, edit: (text: string) => string = (t) => t): void {
  let nodeMissing = false;
  try {
    accessSync('/usr/bin/node', constants.X_OK);
  } catch {
    nodeMissing = true;
  }
  for (const name of UNITS) {
    let text = readFileSync(new URL(`deploy/systemd/${name}`, repoRoot), 'utf8');
    if (nodeMissing) {
      process.stdout.write(`# /usr/bin/node is absent here: verifying ${name} with ExecStart=${process.execPath}\n`);
      text = text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `);
    }
    writeFileSync(join(dir, name), edit(text));
  }
}

test('systemd-analyze verify passes on both units without a single warning', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-units-'));
  try {
    copyUnits(dir);
    const r = verify(dir, UNITS);
    assert.equal(r.status, 0, r.output);
    assert.equal(r.output, '', 'systemd-analyze printed warnings');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the check can fail: a misspelt key or a missing binary is reported', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-units-bad-'));
  try {
    copyUnits(dir, (t) => t.replace('NoNewPrivileges=true', 'NoNewPrivilege=true').replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'));
    const r = verify(dir, UNITS);
    assert.match(r.output, /NoNewPrivilege/);
    assert.match(r.output, /nonexistent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('both units keep the hardening operators rely on', () => {
  for (const name of UNITS) {
    const text = readFileSync(new URL(`deploy/systemd/${name}`, repoRoot), 'utf8');
    for (const line of ['User=hashwatt', 'Restart=on-failure', 'ProtectSystem=strict', 'NoNewPrivileges=true', 'PrivateTmp=true', 'ProtectHome=true', 'CapabilityBoundingSet=']) {
      assert.match(text, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `${name} lacks ${line}`);
    }
    const writable = text.match(/^ReadWritePaths=(.*)$/gm) ?? [];
    assert.equal(writable.length, 1, `${name}: one ReadWritePaths line`);
    assert.match(writable[0]!, /^ReadWritePaths=\/var\/lib\/hashwatt\/(agent|collector)$/, `${name}: only the data directory is writable`);
  }
});
