// The conformance kit against an agent we did not write in TypeScript: a minimal
// Python agent (test/conformance/python-agent/hashwatt_agent.py, paho-mqtt and
// cryptography from Debian) written from docs/protocol.md. Its broken twin,
// which skips signature checks, must fail naming the requirements it breaks.
// Skips with the reason when those packages are absent; under CI=true that is a failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { AGENT_REQUIREMENTS } from '../../shared/conformance/requirements.js';
import { renderTable } from '../../shared/conformance/results.js';
import { agentTopic } from '../../shared/protocol/index.js';
import { canonicalJson } from '../../shared/signing/canonical-json.js';
import { uniqueId, type TestBroker } from '../helpers/broker.js';
import { startKitBroker } from './kit-broker.js';
import { PYTHON, PYTHON_AGENT, pythonAgentMissing, startPythonAgent, type PythonAgent } from './python-agent.js';
import { describeOutcomes, runKit } from './run-kit.js';

const missing = pythonAgentMissing();
if (missing && process.env.CI === 'true') test('Python agent conformance (required under CI=true)', () => assert.fail(missing));
else if (missing) console.log(`# skipping Python agent conformance: ${missing}`);
const run = missing ? test.skip : test;

let broker: TestBroker;
let dir: string;
let keyPath: string;
let publicPath: string;
const site = uniqueId('py');
const agents: PythonAgent[] = [];

function startAgent(agent: string, extra: string[] = []): PythonAgent {
  const a = startPythonAgent({ broker: broker.url, site, agent, publicKey: publicPath, stateDir: join(dir, agent), extra });
  agents.push(a);
  return a;
}

before(async () => {
  if (missing) return;
  broker = await startKitBroker();
  dir = mkdtempSync(join(tmpdir(), 'hashwatt-pyagent-'));
  const keys = generateKeyPairSync('ed25519');
  keyPath = join(dir, 'kit.key.pem');
  publicPath = join(dir, 'kit.pub.pem');
  writeFileSync(keyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicPath, keys.publicKey.export({ type: 'spki', format: 'pem' }));
});

after(async () => {
  if (missing) return;
  for (const a of agents) await a.stop();
  // Leave nothing retained on a shared Mosquitto.
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  for (const a of agents) for (const kind of ['state', 'birth', 'control'] as const) await client.publishAsync(agentTopic(site, a.agent, kind), '', { qos: 1, retain: true });
  await client.endAsync();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

run("the Python agent's RFC 8785 canonical form is ours, byte for byte, on the RFC example and generated values", () => {
  const rfc = String.raw`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`;
  const values = fc.sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 300, seed: 8785 });
  for (const input of [rfc, JSON.stringify(values)]) {
    const py = spawnSync(PYTHON, [PYTHON_AGENT, '--selftest-jcs'], { input, encoding: 'utf8', timeout: 20_000 });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout, canonicalJson(JSON.parse(input)));
  }
});

run('hashwatt conformance agent passes every requirement against the Python agent', async () => {
  const a = startAgent('gw-py');
  const result = await runKit('agent', ['--broker', broker.url, '--site', site, '--agent', a.agent, '--key', keyPath, '--timeout-s', '30']);
  assert.deepEqual(result.outcomes.map((o) => o.id), AGENT_REQUIREMENTS.map((r) => r.id));
  assert.deepEqual(result.outcomes.filter((o) => o.verdict !== 'pass').map((o) => `${o.id}: ${o.detail}`), [], `${describeOutcomes(result.outcomes)}\nagent stderr: ${a.stderr.join('')}`);
  assert.equal(result.code, 0);
});

run('against a Python agent that skips signature checks it fails, naming the unsigned and forged control requirements', async () => {
  const a = startAgent('gw-py-insecure', ['--insecure-skip-verify']);
  const result = await runKit('agent', ['--broker', broker.url, '--site', site, '--agent', a.agent, '--key', keyPath, '--timeout-s', '30']);
  assert.equal(result.code, 1, 'exit code 1: a requirement failed');
  const failed = result.outcomes.filter((o) => o.verdict === 'fail');
  assert.deepEqual(failed.map((o) => o.id), ['AGENT-CTL-UNSIGNED', 'AGENT-CTL-FORGED'], describeOutcomes(result.outcomes));
  assert.match(result.get('AGENT-CTL-UNSIGNED').detail, /expected rejected\(unsigned\), got accepted/);
  assert.match(result.get('AGENT-CTL-FORGED').detail, /expected rejected\(bad_signature\), got accepted/);
  // The table a user reads names the requirement and the section to read.
  assert.match(renderTable(result.outcomes), /AGENT-CTL-FORGED\s+FAIL\s+docs\/protocol\.md#control-handling-order-of-checks-and-refusal-reasons/);
});

for (const [flag, expected] of [
  // Forgetting the backlog also loses what was made during the outage: a hole in the seqs.
  ['--broken-no-replay', ['AGENT-SEQ', 'AGENT-REPLAY']],
  ['--broken-no-will', ['AGENT-WILL']],
] as const) {
  run(`against a Python agent run with ${flag} it fails exactly ${expected.join(', ')}`, async () => {
    const a = startAgent(`gw-py${flag.replace('--broken', '')}`, [flag]);
    const result = await runKit('agent', ['--broker', broker.url, '--site', site, '--agent', a.agent, '--key', keyPath, '--timeout-s', '15']);
    assert.equal(result.code, 1);
    assert.deepEqual(result.outcomes.filter((o) => o.verdict === 'fail').map((o) => o.id), [...expected], describeOutcomes(result.outcomes));
  });
}
