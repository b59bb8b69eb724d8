import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// No Docker engine runs on the test machines, so the image is never built
// here; what can be checked without one is checked: the compose file through
// the compose client's own validator where the client is installed, and the
// structure of both files everywhere.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const composePath = `${repoRoot}deploy/compose.yaml`;

function composeClient(): string[] | undefined {
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (v2.status === 0) return ['docker', 'compose'];
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  if (v1.status === 0) return ['docker-compose'];
  return undefined;
}

const client = composeClient();
const skip = client ? undefined : 'no docker compose client here (neither `docker compose` nor `docker-compose`); validated the YAML structure only';
if (skip) process.stdout.write(`# skipping docker compose config: ${skip}\n`);

test('docker compose accepts deploy/compose.yaml', { skip }, () => {
  const [cmd, ...args] = client!;
  const r = spawnSync(cmd!, [...args, '-f', composePath, 'config', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('compose: broker with the production config and a data volume, collector with a volume, API on loopback only', () => {
  const doc = parse(readFileSync(composePath, 'utf8')) as any;
  const { mosquitto, collector } = doc.services;
  assert.ok(mosquitto.volumes.includes('./mosquitto/mosquitto.conf:/etc/mosquitto/mosquitto.conf:ro'));
  assert.ok(existsSync(`${repoRoot}deploy/mosquitto/mosquitto.conf`), 'the mounted config exists');
  assert.ok(mosquitto.volumes.some((v: string) => v.startsWith('mosquitto-data:')));
  assert.ok(collector.volumes.some((v: string) => v.startsWith('collector-data:/var/lib/hashwatt/collector')));
  assert.deepEqual(Object.keys(doc.volumes).sort(), ['collector-data', 'mosquitto-data']);
  assert.ok(collector.ports.every((p: string) => p.startsWith('127.0.0.1:')), 'the API is published on the host loopback only');
  assert.ok(!mosquitto.ports.some((p: string) => p.includes('1883')), 'plain MQTT is never published');
  assert.equal(collector.environment.HASHWATT_BROKER__URL, 'mqtts://mosquitto:8883');
});

test('Dockerfile: multi-stage build, runtime installs production deps only, runs unprivileged, health-checks /healthz', () => {
  const text = readFileSync(`${repoRoot}Dockerfile`, 'utf8');
  const stages = text.match(/^FROM .+$/gm) ?? [];
  assert.equal(stages.length, 2);
  const [build, runtime] = text.split(/^FROM .+ AS runtime$/m);
  assert.match(build!, /npm ci/);
  assert.match(build!, /npm run build/);
  assert.match(runtime!, /npm ci --omit=dev/);
  assert.match(runtime!, /^USER hashwatt$/m);
  assert.match(runtime!, /^HEALTHCHECK .*\n?.*\/healthz/m);
  assert.match(runtime!, /COPY --from=build \/src\/dist/);
  const ignore = readFileSync(`${repoRoot}.dockerignore`, 'utf8');
  for (const entry of ['node_modules', '**/*.pem', 'credentials']) assert.ok(ignore.split('\n').includes(entry), `.dockerignore lacks ${entry}`);
});
