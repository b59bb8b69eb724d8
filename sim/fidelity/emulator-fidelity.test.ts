import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startFleet, type FleetEndpoint } from '../fleet/fleet.js';
import { sharedFixturesDir } from '../../agent/drivers/miners/transport/test-fixtures.js';
import { randomLoopback } from '../../agent/drivers/miners/transport/test-servers.js';
import { requestForCapture, type CaptureRequest } from './capture-requests.js';
import { shapeDiff } from './shape-diff.js';

// For every real capture in ../shared/fixtures/miners, ask the emulator the
// same command over a real socket and compare the structure of the replies.
// The clients here are written from the protocol (plain node:net and fetch),
// not taken from the drivers, so a shared mistake cannot hide.

const MINERS_DIR = join(sharedFixturesDir(), 'miners');

function capturesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? capturesUnder(path) : [path];
  });
}

/** One cgminer request: JSON out, read to NUL or close, strict JSON back. */
function askCgminer(host: string, port: number, request: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => socket.write(JSON.stringify(request)));
    const timer = setTimeout(() => socket.destroy(new Error(`no reply to ${JSON.stringify(request)} within 10 s`)), 10_000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8').replace(/\0+$/, '').trim();
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new Error(`reply to ${JSON.stringify(request)} is not strict JSON: ${(err as Error).message}: ${text.slice(0, 200)}`));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0)) done();
    });
    socket.once('end', done);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function askRest(e: FleetEndpoint, path: string): Promise<unknown> {
  const base = `http://${e.host}:${e.httpPort}`;
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: e.username, password: e.password }) });
  assert.equal(login.status, 200, `login on ${base}`);
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${base}${path}`, { headers: { authorization: token } });
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}

function ask(e: FleetEndpoint, req: CaptureRequest): Promise<unknown> {
  return req.transport === 'cgminer' ? askCgminer(e.host, e.port!, req.request) : askRest(e, req.path);
}

const absent = !existsSync(MINERS_DIR);
if (absent && process.env.CI === 'true') throw new Error(`${MINERS_DIR} is absent; under CI=true the shared captures must be present`);
if (absent) process.stdout.write(`# skipping the emulator fidelity test: ${MINERS_DIR} is absent\n`);

test('emulator answers every real capture with the same structure', { skip: absent ? `${MINERS_DIR} is absent` : false }, async (t) => {
  const fleet = await startFleet({ miners: 16, mix: { antminer: 1, luxos: 1, braiins: 1, whatsminer: 1 }, timeFactor: 0.05, host: randomLoopback(), portBase: 0, seed: 11 });
  t.after(() => fleet.stop());
  const captures = capturesUnder(MINERS_DIR).map((path) => relative(MINERS_DIR, path));
  // Braiins `pause` before `resume`, and each after the reads, so the miner is asked as it was when captured.
  const order = (p: string) => (/\/pause\.json$/.test(p) ? 1 : /\/resume\.json$/.test(p) ? 2 : 0);
  captures.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  let compared = 0;
  for (const capture of captures) {
    if (!capture.endsWith('.json')) {
      t.diagnostic(`${capture}: not a reply (notes beside the captures), nothing to ask`);
      continue;
    }
    await t.test(capture, async () => {
      const request = requestForCapture(capture);
      assert.equal(typeof request, 'object', String(request));
      const req = request as CaptureRequest;
      const expected = JSON.parse(readFileSync(join(MINERS_DIR, capture), 'utf8')) as unknown;
      // Units differ (models, error codes, pools): the emulator is faithful when one of its miners of that firmware answers in this shape.
      const candidates = fleet.endpoints().filter((e) => e.firmware === req.firmware);
      assert.ok(candidates.length > 0, `no emulated ${req.firmware} miner`);
      let best: string[] | undefined;
      for (const e of candidates) {
        const diff = shapeDiff(expected, await ask(e, req));
        if (!best || diff.length < best.length) best = diff;
        if (diff.length === 0) break;
      }
      assert.deepEqual(best, [], `the emulator's ${req.firmware} reply differs from ${capture}:\n  ${best!.join('\n  ')}`);
      compared++;
    });
  }
  assert.ok(compared >= 30, `compared ${compared} captures`);
});
