#!/usr/bin/env node
// The test command (`npm test` runs it after the build). Unit and integration
// tests run once with the embedded aedes broker and the SQLite store;
// integration tests (*.integration.test.js) run a second time against the real
// Mosquitto at MQTT_URL (default mqtt://127.0.0.1:1883) and the PostgreSQL
// store (HASHWATT_TEST_STORE=postgres: each test collector gets a fresh
// database on 127.0.0.1:5432, or HASHWATT_TEST_PG_URL). The second pass pairs
// the two shared, external services a multi-collector deployment runs on.
// Under CI=true a missing Mosquitto or PostgreSQL is a failure, elsewhere a
// skip with the reason printed. Tests of a database server and no broker
// (*.db.test.js: the PostgreSQL store, leader election) run once, in the first
// pass: a second broker changes nothing for them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const filter = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(path));
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || (url.startsWith('postgres') ? 5432 : 1883)) });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const reportDir = mkdtempSync(join(tmpdir(), 'hashwatt-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };

// A pass takes ~13 min on the 2-core reference machine. A test file whose tests are done but
// that leaked a handle (a client a failed test never closed) would keep a pass waiting until
// CI's own limit, with nothing reported; stopped here it counts as a failure and the run goes on.
// (--test-force-exit would end such a file, but also the reporter that counts before it writes.)
const PASS_TIMEOUT_MS = Number(process.env.HASHWATT_TEST_PASS_TIMEOUT_MIN ?? 30) * 60_000;

function runPass(name, files, env) {
  if (files.length === 0) return;
  process.stdout.write(`\n=== ${name}: ${files.length} test files ===\n`);
  const countFile = join(reportDir, `${name.replace(/\W+/g, '-')}.json`);
  const result = spawnSync(process.execPath, [
    '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${countFile}`,
    ...files,
  ], { stdio: 'inherit', env: { ...process.env, ...env }, timeout: PASS_TIMEOUT_MS, killSignal: 'SIGKILL' });
  if (result.error?.code === 'ETIMEDOUT') process.stdout.write(`\n${name}: still running after ${PASS_TIMEOUT_MS / 60_000} min, stopped (a test file that never exits: a handle a failed test left open?)\n`);
  let counts = { passed: 0, failed: 0, skipped: 0 };
  try { counts = JSON.parse(readFileSync(countFile, 'utf8')); } catch { counts.failed = 1; }
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1; // crashed runner
  process.stdout.write(`=== ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped ===\n`);
  for (const k of Object.keys(totals)) totals[k] += counts[k];
}

let files = findTests(dist).sort();
if (filter.length) files = files.filter((f) => filter.some((pattern) => f.includes(pattern)));
const integration = files.filter((f) => f.endsWith('.integration.test.js'));

const { MQTT_URL: externalUrl, ...envWithoutBroker } = process.env;
runPass('unit + integration on the embedded broker', files, { ...envWithoutBroker, MQTT_URL: '' });

const mosquittoUrl = externalUrl || 'mqtt://127.0.0.1:1883';
const pgUrl = process.env.HASHWATT_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
if (integration.length > 0) {
  const missing = [];
  if (!(await reachable(mosquittoUrl))) missing.push(`Mosquitto at ${mosquittoUrl} (start mosquitto or set MQTT_URL)`);
  if (!(await reachable(pgUrl))) missing.push(`PostgreSQL at ${new URL(pgUrl).host} (start it or set HASHWATT_TEST_PG_URL)`);
  if (missing.length === 0) {
    await dropLeftoverDatabases(pgUrl);
    runPass(`integration on Mosquitto at ${mosquittoUrl} with the PostgreSQL store`, integration, { MQTT_URL: mosquittoUrl, HASHWATT_TEST_STORE: 'postgres' });
    await dropLeftoverDatabases(pgUrl);
  } else if (process.env.CI === 'true') {
    process.stdout.write(`\nNot reachable: ${missing.join('; ')}; under CI=true that is a failure.\n`);
    totals.failed++;
  } else {
    process.stdout.write(`\nSkipping the Mosquitto + PostgreSQL pass, not reachable: ${missing.join('; ')}.\n`);
  }
}

/** The second pass's databases (hashwatt_itest_…, server/testing/test-store.ts): a test collector's lives as long as its test process. */
async function dropLeftoverDatabases(url) {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`SELECT datname FROM pg_database WHERE datname LIKE 'hashwatt\\_itest\\_%'`;
    for (const { datname } of rows) await sql.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exitCode = totals.failed > 0 ? 1 : 0;
