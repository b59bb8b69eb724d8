import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../../sim/fleet/fleet.js';
import { createLogger } from '../../shared/log/logger.js';
import { createMinerDriver } from '../drivers/miners/registry.js';
import { randomLoopback } from '../drivers/miners/transport/test-servers.js';
import type { ManagedMiner } from './managed-miner.js';
import { pollCycle } from './poll-cycle.js';

test('poll: a Braiins OS miner whose login is refused is still read, and the agent says so once, naming the user, not the password', async (t) => {
  const fleet = await startFleet({ miners: 1, mix: { braiins: 1 }, host: randomLoopback(), portBase: 0, seed: 3, credentials: { username: 'root', password: 'right-Pw1' } });
  t.after(() => fleet.stop());
  const e = fleet.endpoints()[0]!;
  const endpoint = { id: e.id, host: e.host, port: e.port!, httpPort: e.httpPort!, username: 'root', password: 'wrong-Pw2' };
  const miner: ManagedMiner = { id: e.id, endpoint, firmware: 'braiins', group: 'g', fromRange: false, busy: false, driver: createMinerDriver('braiins', endpoint, { requestTimeoutMs: 2000 }) };
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });

  for (let i = 0; i < 3; i++) await pollCycle([miner], { concurrency: 1, timeoutMs: 3000, now: Date.now, log });
  assert.equal(miner.reading?.state, 'hashing', 'read from the cgminer API alone');
  assert.equal(miner.reading?.login?.problem, 'refused');
  const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'miner login missing or refused');
  assert.equal(warnings.length, 1, 'once, not every poll');
  assert.deepEqual({ firmware: warnings[0]!.firmware, user: warnings[0]!.user, problem: warnings[0]!.problem }, { firmware: 'braiins', user: 'root', problem: 'refused' });
  assert.ok(!lines.join('').includes('wrong-Pw2'), 'no password in the log');
});
