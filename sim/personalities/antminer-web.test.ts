import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../fleet/fleet.js';
import { httpJson } from '../../agent/drivers/miners/transport/http-json-client.js';
import { cgminerCommand, cgminerRaw } from '../../agent/drivers/miners/transport/cgminer-client.js';
import { randomLoopback } from '../../agent/drivers/miners/transport/test-servers.js';

// What third-party tools read from a stock Antminer besides the classic API:
// `stats` with new_api, and the web CGI behind HTTP digest auth.

test('antminer: stats with new_api and the web CGI (digest auth) describe the same machine', async (t) => {
  const fleet = await startFleet({ miners: 1, mix: { antminer: 1 }, host: randomLoopback(), portBase: 0, seed: 2, credentials: { username: 'root', password: 'cgi-Pass7' } });
  t.after(() => fleet.stop());
  const e = fleet.endpoints()[0]!;
  const truth = fleet.groundTruth()[0]!;
  const api = { host: e.host, port: e.port!, timeoutMs: 3000 };

  const legacy = (await cgminerCommand(api, 'stats')) as Record<string, unknown>;
  assert.ok(Array.isArray(legacy.STATS) && (legacy.STATS as unknown[]).length === 2, 'plain stats keeps the header row');
  for (const request of [{ command: 'stats', parameter: { new_api: true } }, { command: 'stats', new_api: true }]) {
    const reply = JSON.parse((await cgminerRaw(api, request)).replace(/\0$/, '')) as { STATS: Array<{ rate_5s: number; rate_unit: string; chain: Array<{ index: number; asic_num: number; temp_chip: number[] }> }> };
    const row = reply.STATS[0]!;
    assert.equal(row.chain.length, 3, JSON.stringify(request));
    assert.ok(row.rate_5s > truth.hashrateThs * 1000 * 0.9, `rate_5s ${row.rate_5s} GH/s`);
    assert.ok(row.chain.every((c) => Array.isArray(c.temp_chip) && c.temp_chip.length === 4 && c.asic_num > 0));
  }

  const web = { host: e.host, port: e.httpPort!, timeoutMs: 3000 };
  const digest = { username: 'root', password: 'cgi-Pass7' };
  const info = await httpJson(web, { path: '/cgi-bin/get_system_info.cgi', digest });
  assert.equal(info.status, 200);
  assert.equal((info.json as { minertype: string }).minertype, truth.model);
  const stats = await httpJson(web, { path: '/cgi-bin/stats.cgi', digest });
  assert.equal((stats.json as { STATS: Array<{ chain: unknown[] }> }).STATS[0]!.chain.length, 3);
  const summary = await httpJson(web, { path: '/cgi-bin/summary.cgi', digest });
  const status = (summary.json as { SUMMARY: Array<{ status: Array<{ type: string; status: string }> }> }).SUMMARY[0]!.status;
  assert.deepEqual(status.map((s) => s.type), ['rate', 'network', 'fans', 'temp']);

  const refused = await httpJson(web, { path: '/cgi-bin/stats.cgi', digest: { username: 'root', password: 'wrong' } });
  assert.equal(refused.status, 401, 'a wrong password is challenged again');
  const anonymous = await httpJson(web, { path: '/cgi-bin/summary.cgi' });
  assert.equal(anonymous.status, 401);
  assert.match(String(anonymous.headers['www-authenticate']), /^Digest realm="antMiner Configuration"/);
});
