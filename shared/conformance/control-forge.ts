import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signPayload } from '../signing/control-signing.js';
import type { UnsignedControl } from '../protocol/index.js';

export type Signing = 'good' | 'none' | 'forged';

/**
 * Builds the controls the agent suite sends: valid ones signed with the key
 * the agent trusts, and the bad ones the protocol says an agent must refuse.
 * The forging key is made fresh per run, so no agent can trust it.
 */
export function controlForge(site: string, agent: string, keys: { privateKey: KeyObject; publicKey: KeyObject }) {
  const intruder = generateKeyPairSync('ed25519');
  return {
    build(fields: Partial<UnsignedControl> & { revision: number }, signing: Signing = 'good'): Record<string, unknown> {
      const now = Date.now();
      const body: UnsignedControl = {
        v: 1,
        site,
        agent,
        issuedAt: now,
        validFrom: now,
        validUntil: now + 30 * 60_000,
        // A cap no site reaches: the agent must accept and hold it without putting a miner to sleep.
        mode: 'max_kw',
        value: 1_000_000,
        level: 'sleep',
        strategy: 'least_efficient_first',
        rampSeconds: 0,
        priority: 'normal',
        reason: 'hashwatt conformance kit',
        eventIds: [],
        ...fields,
      };
      if (signing === 'none') return body;
      if (signing === 'forged') return signPayload(body, intruder.privateKey, intruder.publicKey);
      return signPayload(body, keys.privateKey, keys.publicKey);
    },
  };
}
