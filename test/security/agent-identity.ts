import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerConfig } from '../../shared/config/broker-config.js';
import { signPayload } from '../../shared/signing/control-signing.js';
import type { ProductionBroker } from './production-broker.js';

/** Writes one identity's certificate, key and the site CA to files and returns the `broker:` config that uses them over TLS. */
export function tlsBrokerConfig(broker: ProductionBroker, username: string, dir: string): BrokerConfig {
  const id = broker.identity(username);
  const base = join(dir, username);
  writeFileSync(`${base}.crt.pem`, id.certPem);
  writeFileSync(`${base}.key.pem`, id.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt.pem'), broker.caPem);
  return { url: broker.tlsUrl, caFile: join(dir, 'ca.crt.pem'), certFile: `${base}.crt.pem`, keyFile: `${base}.key.pem`, reconnectMaxMs: 1000, keepaliveS: 30 };
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPath: string;
}

export function signingKey(dir: string, name: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicPath = join(dir, `${name}.pub.pem`);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, publicPath };
}

/** A control as the collector would publish it, signed with `key`, valid for 10 minutes from `now`. */
export function signedControl(site: string, agent: string, revision: number, now: number, key: SigningKey, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const body = {
    v: 1, site, agent, revision, issuedAt: now, validFrom: now, validUntil: now + 600_000,
    mode: 'none', value: null, level: 'sleep', strategy: 'least_efficient_first', rampSeconds: 0, priority: 'normal', reason: 'security test', eventIds: [],
    ...fields,
  };
  return signPayload(body, key.privateKey, key.publicKey);
}
