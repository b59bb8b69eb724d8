import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { startFleet } from './fleet.js';
import { DEFAULT_MIX } from './fleet-spec.js';
import { listeningSocketsOf } from './listening-sockets.js';

function summary(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write('{"command":"summary"}'));
    let out = '';
    s.setTimeout(2000, () => s.destroy(new Error(`no answer from ${host}:${port}`)));
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('1,000 miners on their own loopback addresses start, answer and stop cleanly', { skip: process.platform !== 'linux' && 'needs Linux (all of 127/8 is local)' }, async () => {
  const fdsBefore = openFds();
  const second = 2 + Math.floor(Math.random() * 250);
  // Unprivileged stand-ins for the real ports: each miner has its own address.
  const fleet = await startFleet({ miners: 1000, bind: `127.${second}.0.0/16`, ports: { cgminer: 4028, v3: 4433, http: 8080 }, seed: 5 });
  try {
    const endpoints = fleet.endpoints();
    assert.equal(new Set(endpoints.map((e) => e.host)).size, 1000, 'one address per miner');
    assert.equal(endpoints[999]!.host, `127.${second}.3.238`);
    assert.ok(openFds() - fdsBefore >= 1000, 'one listener per miner port at least');
    // What the poll bench plans its emulator processes by: the descriptors the fleet really holds.
    const listening = listeningSocketsOf(1000, DEFAULT_MIX);
    assert.equal(listening, fleet.groundTruth().reduce((n, m) => n + Object.keys(m.ports).length, 0));
    assert.ok(openFds() - fdsBefore >= listening, `${openFds() - fdsBefore} descriptors opened for ${listening} listening ports`);
    const sample = endpoints.filter((_, i) => i % 50 === 0);
    const replies = await Promise.all(sample.map((e) => summary(e.host, e.port!)));
    assert.ok(replies.every((r) => r.includes('"STATUS"') && r.endsWith('\0')));
    const site = fleet.site();
    assert.equal(site.byPhase.hashing, 1000);
    assert.ok(site.minerPowerW > 1000 * 2500, `site draws ${site.minerPowerW} W`);
  } finally {
    await fleet.stop();
  }
  assert.ok(openFds() - fdsBefore < 20, `descriptors released (${openFds() - fdsBefore} left)`);
});
