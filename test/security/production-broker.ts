import { readFileSync, writeFileSync, mkdtempSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { COLLECTOR_USERNAME, agentAclBlock, agentUsername } from '../../shared/credentials/broker-identities.js';
import { generatePassword, passwordFileLine } from '../../shared/credentials/mosquitto-password.js';
import { issueCertificate, loadOrCreateSiteCa, type SiteCa } from '../../shared/credentials/site-ca.js';
import { findMosquitto, startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';

/**
 * The broker exactly as deploy/mosquitto/ ships it, with only what a test
 * must change rewritten: paths into a temp folder, ports to free ones bound on
 * loopback, the run-as user, and logs to stderr. Each rewrite must match, so a
 * change to the shipped file that this does not understand fails loudly
 * instead of silently testing something else.
 */

const repoRoot = new URL('../../../', import.meta.url);
export const SHIPPED_CONF = readFileSync(new URL('deploy/mosquitto/mosquitto.conf', repoRoot), 'utf8');
export const SHIPPED_ACL = readFileSync(new URL('deploy/mosquitto/acl', repoRoot), 'utf8');

export function adaptShippedConfig(text: string, { dir, plainPort, tlsPort }: { dir: string; plainPort: number; tlsPort: number }): string {
  const rewrites: [RegExp, string][] = [
    [/^user mosquitto$/m, `user ${userInfo().username}`],
    [/^persistence_location \/var\/lib\/mosquitto\/$/m, `persistence_location ${dir}/data/`],
    [/^listener 1883 127\.0\.0\.1$/m, `listener ${plainPort} 127.0.0.1`],
    [/^listener 8883$/m, `listener ${tlsPort} 127.0.0.1`],
    [/^log_dest stderr$/m, 'log_dest stderr'],
  ];
  let out = text;
  for (const [pattern, replacement] of rewrites) {
    if (!pattern.test(out)) throw new Error(`deploy/mosquitto/mosquitto.conf no longer has a line matching ${pattern}; update test/security/production-broker.ts`);
    out = out.replace(pattern, replacement);
  }
  const etc = /\/etc\/mosquitto\/hashwatt\//g;
  if ((out.match(etc) ?? []).length < 5) throw new Error('expected the CA, server cert/key, passwd and acl under /etc/mosquitto/hashwatt/');
  return out.replace(etc, `${dir}/`);
}

export interface Identity {
  username: string;
  password: string;
  certPem: string;
  keyPem: string;
}

export interface ProductionBroker {
  plainUrl: string;
  tlsUrl: string;
  caPem: string;
  dir: string;
  ca: SiteCa;
  mosquitto: RunningMosquitto;
  identity(username: string): Identity;
  /** MQTT.js options to log in as `username`: certificate over TLS, or password over plain loopback. */
  options(username: string, via: 'tls' | 'plain'): IClientOptions & { url: string };
  stop(): Promise<void>;
}

/** Why the broker tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (findMosquitto()) return undefined;
  const reason = 'mosquitto is not installed (apt-get install mosquitto); broker security tests need the real broker';
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true that is a failure`);
  return reason;
}

export async function startProductionBroker(agents: { site: string; agent: string }[], { confText = SHIPPED_CONF } = {}): Promise<ProductionBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-prod-broker-'));
  mkdirSync(join(dir, 'data'));
  const { ca } = await loadOrCreateSiteCa(join(dir, 'ca'));
  copyFileSync(ca.certPath, join(dir, 'ca.crt.pem'));
  const server = await issueCertificate(ca, { commonName: 'localhost', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'server.crt.pem'), server.certPem);
  writeFileSync(join(dir, 'server.key.pem'), server.keyPem, { mode: 0o600 });

  const identities = new Map<string, Identity>();
  const usernames = [COLLECTOR_USERNAME, ...agents.map((a) => agentUsername(a.site, a.agent))];
  for (const username of usernames) {
    const cert = await issueCertificate(ca, { commonName: username, usage: 'client' });
    identities.set(username, { username, password: generatePassword(), certPem: cert.certPem, keyPem: cert.keyPem });
  }
  writeFileSync(join(dir, 'passwd'), [...identities.values()].map((i) => passwordFileLine(i.username, i.password)).join('\n') + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'acl'), SHIPPED_ACL + agents.map((a) => `\n${agentAclBlock(a.site, a.agent)}`).join(''));

  let mosquitto: RunningMosquitto;
  try {
    mosquitto = await startMosquitto({ dir, portCount: 2, config: ([plainPort, tlsPort]) => adaptShippedConfig(confText, { dir, plainPort: plainPort!, tlsPort: tlsPort! }) });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [plainPort, tlsPort] = mosquitto.ports;
  const plainUrl = `mqtt://127.0.0.1:${plainPort}`;
  const tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
  const identity = (username: string) => {
    const found = identities.get(username);
    if (!found) throw new Error(`no test identity ${username}`);
    return found;
  };
  return {
    plainUrl,
    tlsUrl,
    caPem: ca.certPem,
    dir,
    ca,
    mosquitto,
    identity,
    options(username, via) {
      const id = identity(username);
      if (via === 'plain') return { url: plainUrl, username: id.username, password: id.password };
      return { url: tlsUrl, ca: ca.certPem, cert: id.certPem, key: id.keyPem };
    },
    async stop() {
      await mosquitto.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
