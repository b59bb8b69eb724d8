import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet, type MinerTruth, type SiteTruth } from './fleet/fleet.js';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { waitFor } from '../test/helpers/wait-for.js';

let fleet: Fleet;
let admin: AdminServer;

before(async () => {
  fleet = await startFleet({ miners: 10, host: '127.0.0.1', timeFactor: 0.02, overheadKw: 20, seed: 3 });
  admin = await startAdminServer({ fleet, port: 0 });
});
after(async () => {
  await admin.stop();
  await fleet.stop();
});

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${admin.url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as T };
}

test('GET /healthz and /miners report every miner with its ports and state', async () => {
  assert.deepEqual((await call('GET', '/healthz')).body, { ok: true, miners: 10 });
  const { body: miners } = await call<MinerTruth[]>('GET', '/miners');
  assert.equal(miners.length, 10);
  const m = miners[0]!;
  assert.equal(m.host, '127.0.0.1');
  assert.ok(m.ports.cgminer! > 0);
  assert.equal(m.phase, 'hashing');
  assert.ok(m.powerW > 2000 && m.hashrateThs > 50);
  assert.deepEqual(m.faults, { hung: false, garbage: false, refuse: false, slow: false, ignoreSleep: false });
});

test('GET /site sums the miners and adds the overhead', async () => {
  const { body: site } = await call<SiteTruth>('GET', '/site');
  assert.equal(site.miners, 10);
  assert.ok(Math.abs(site.overheadW - 20_000) < 400);
  assert.equal(site.totalPowerW, site.minerPowerW + site.overheadW);
  assert.deepEqual(site.byPhase, { hashing: 10, pausing: 0, sleeping: 0, waking: 0 });
});

test('POST /miners/:id/faults and /faults change faults at run time', async () => {
  const id = fleet.miners[2]!.id;
  const one = await call<{ faults: { hung: boolean } }>('POST', `/miners/${id}/faults`, { hung: true });
  assert.equal(one.status, 200);
  assert.equal(one.body.faults.hung, true);
  assert.equal(fleet.miner(id).faults.hung, true);
  const many = await call<unknown[]>('POST', '/faults', { miners: 'all', faults: { hung: false, ignoreSleep: true } });
  assert.equal(many.body.length, 10);
  assert.ok(fleet.miners.every((m) => !m.faults.hung && m.faults.ignoreSleep));
  await call('POST', '/faults', { miners: 'all', faults: { ignoreSleep: false } });
});

test('sleeping a miner through the admin endpoint shows in /site by phase', async () => {
  const id = fleet.miners[0]!.id;
  await call('POST', `/miners/${id}/sleep`);
  await waitFor('one miner asleep', async () => (await call<SiteTruth>('GET', '/site')).body.byPhase.sleeping === 1, { timeoutMs: 5000 });
  await call('POST', `/miners/${id}/wake`);
});

test('bad requests get a 4xx with a reason', async () => {
  const unknown = await call<{ error: string }>('POST', '/miners/nope/faults', { hung: true });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /no emulated miner 'nope'/);
  const badField = await call<{ error: string }>('POST', '/faults', { miners: 'all', faults: { melt: true } });
  assert.equal(badField.status, 400);
  assert.match(badField.body.error, /POST \/faults/);
  const notJson = await fetch(`${admin.url}/faults`, { method: 'POST', body: '{' });
  assert.equal(notJson.status, 400);
  assert.equal((await call('GET', '/nowhere')).status, 404);
});
