import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../test/helpers/wait-for.js';
import { startTestSite, type TestSite } from './testing/test-site.js';
import { readStatusFile } from './status/status-file.js';
import type { AgentConfigInput } from './config/agent-config.js';

// The agent as operators run it: `hashwatt agent --config …` in its own process.
const CLI = fileURLToPath(new URL('../bin/hashwatt.js', import.meta.url));
let site: TestSite;
let configPath: string;
let dataDir: string;

function runAgent(): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'agent', '--config', configPath], { env: { ...process.env, HASHWATT_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  return child;
}
const status = () => {
  try {
    return readStatusFile(dataDir);
  } catch {
    return undefined;
  }
};

before(async () => {
  site = await startTestSite({ miners: 20 });
  const input: AgentConfigInput = { ...(site.config() as AgentConfigInput), outbox: { replayPerSecond: 2, ackTimeoutMs: 30_000 } };
  dataDir = input.dataDir!;
  configPath = site.writeConfig(input);
});

after(async () => {
  await site?.stop();
});

test('SIGKILL in the middle of a backlog replay: the restart has a new session and nothing is lost', async () => {
  const first = runAgent();
  try {
    await waitFor('first agent polling and connected', () => status()?.broker.connected && (status()?.polls.cycles ?? 0) >= 2, { timeoutMs: 15_000 });
    const session1 = status()!.session;
    site.proxy.cut();
    await waitFor('a backlog of 6 messages', () => (status()?.outbox.rows ?? 0) >= 6 && !status()?.broker.connected, { timeoutMs: 20_000 });
    site.proxy.restore();
    await waitFor('replay under way', () => {
      const s = status();
      return s?.broker.connected && s.outbox.replayed >= 1 && s.outbox.rows >= 3;
    }, { timeoutMs: 15_000 });
    first.kill('SIGKILL');
    await once(first, 'exit');
    const enqueuedByFirst = status()!.outbox.enqueued;

    const second = runAgent();
    try {
      await waitFor('second agent with a new session', () => (status()?.session ?? 0) > session1 && status()?.broker.connected, { timeoutMs: 15_000 });
      await waitFor('old backlog delivered and acked', () => {
        const counts = site.collector.received();
        for (let seq = 1; seq <= enqueuedByFirst; seq++) if (!counts.has(`${session1}:${seq}`)) return false;
        return true;
      }, { timeoutMs: 30_000 });
      const historical = site.collector.telemetry.filter((t) => t.session === session1 && t.historical);
      assert.ok(historical.length >= 3, 'the backlog was replayed as historical');
      assert.ok(site.collector.telemetry.some((t) => t.session === status()!.session), 'the new session reports too');
    } finally {
      second.kill('SIGTERM');
      const [code] = await once(second, 'exit');
      assert.equal(code, 0, 'SIGTERM stops the agent cleanly');
    }
    assert.equal(status()!.running, false);
  } finally {
    if (first.exitCode === null) first.kill('SIGKILL');
  }
});

test('hashwatt agent status prints the last poll, broker link, outbox and control', () => {
  const out = spawnSync(process.execPath, [CLI, 'agent', 'status', '--config', configPath], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`agent ${site.site}/agent-1`));
  assert.match(out.stdout, /last poll .* miners 20 \(hashing 20/);
  assert.match(out.stdout, /outbox\s+\d+ messages/);
  assert.match(out.stdout, /control\s+none/);
  const bad = spawnSync(process.execPath, [CLI, 'agent', '--config', `${configPath}.missing`], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot read config file .*missing/);
});

test('a control report made while offline survives a kill -9 and arrives once the link is back', async () => {
  const revision = 80;
  const validUntil = Date.now() + 10_000;
  const first = runAgent();
  let second: ChildProcess | undefined;
  try {
    await site.collector.publishRetained('control', site.control({ revision, mode: 'sleep_count', value: 4, validUntil }));
    await waitFor('holding 4 asleep', () => site.collector.reports.find((r) => r.revision === revision && r.status === 'holding'), { timeoutMs: 20_000 });
    site.proxy.cut();
    // Past validUntil the agent restores by itself and reports it, with nobody listening.
    await waitFor('released while offline', () => status()?.control.status === 'released' && !status()?.broker.connected, { timeoutMs: 30_000 });
    first.kill('SIGKILL');
    await once(first, 'exit');
    const killedAt = Date.now();
    assert.ok(!site.collector.reports.some((r) => r.revision === revision && r.status === 'released'), 'nothing got through while cut off');
    site.proxy.restore();
    second = runAgent();
    const released = await waitFor('the report made before the kill', () => site.collector.reports.find((r) => r.revision === revision && r.status === 'released' && r.ts < killedAt), { timeoutMs: 30_000 });
    assert.ok(released.ts >= validUntil);
    assert.equal(typeof released.seq, 'number', 'it rode in the telemetry sequence');
  } finally {
    if (first.exitCode === null) first.kill('SIGKILL');
    if (second) {
      second.kill('SIGTERM');
      await once(second, 'exit');
    }
    site.proxy.restore();
  }
});
