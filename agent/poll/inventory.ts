import type { Logger } from '../../shared/log/logger.js';
import { minerIdOf, type AgentConfig, type MinerRange } from '../config/agent-config.js';
import { hostsOf } from '../config/cidr.js';
import type { DriverContext, MinerEndpoint } from '../drivers/miners/miner-driver.js';
import type { DriverSource } from './driver-source.js';
import { withLogin } from '../drivers/miners/logins.js';
import { groupOf, type ManagedMiner } from './managed-miner.js';
import { runBounded } from './run-bounded.js';

function endpointOf(id: string, e: { host: string; port?: number | undefined; httpPort?: number | undefined; v3Port?: number | undefined; username?: string | undefined; password?: string | undefined }): MinerEndpoint {
  return {
    id,
    host: e.host,
    ...(e.port !== undefined ? { port: e.port } : {}),
    ...(e.httpPort !== undefined ? { httpPort: e.httpPort } : {}),
    ...(e.v3Port !== undefined ? { v3Port: e.v3Port } : {}),
    ...(e.username !== undefined ? { username: e.username } : {}),
    ...(e.password !== undefined ? { password: e.password } : {}),
  };
}

/**
 * The miners the agent looks after: the explicit list, plus whatever answers
 * in the configured CIDR ranges (found again on the rediscovery schedule).
 */
export function createInventory(options: { config: AgentConfig; drivers: DriverSource; context: DriverContext; log: Logger; concurrency: number }) {
  const { config, drivers, context, log } = options;
  const miners = new Map<string, ManagedMiner>();
  for (const entry of config.miners) {
    const id = minerIdOf(entry);
    miners.set(id, { id, endpoint: endpointOf(id, entry), firmware: entry.firmware, group: groupOf(entry.host, entry.rack), fromRange: false, busy: false });
  }

  function attach(m: ManagedMiner, firmware: Exclude<ManagedMiner['firmware'], 'auto'>): void {
    try {
      // The login is the family's unless the miner (or its range) names its own.
      m.driver = drivers.create(firmware, withLogin(m.endpoint, firmware, config.logins), context);
    } catch (err) {
      log.warn({ minerId: m.id, firmware, err: (err as Error).message }, 'no driver for miner');
    }
  }

  async function resolve(m: ManagedMiner): Promise<boolean> {
    if (m.driver) return true;
    if (m.firmware !== 'auto') {
      attach(m, m.firmware);
      return m.driver !== undefined;
    }
    const found = await drivers.detect(m.endpoint, context);
    if (found) attach(m, found);
    return m.driver !== undefined;
  }

  async function scanRange(range: MinerRange): Promise<number> {
    let added = 0;
    const fresh = hostsOf(range.cidr).filter((host) => !miners.has(minerIdOf({ host, port: range.port })));
    await runBounded(fresh, options.concurrency, async (host) => {
      const id = minerIdOf({ host, port: range.port });
      const m: ManagedMiner = { id, endpoint: endpointOf(id, { ...range, host }), firmware: range.firmware, group: groupOf(host, range.rack), fromRange: true, busy: false };
      // In a range only a host that answers as a miner is one: a pinned
      // firmware must still prove itself by a reading.
      if (range.firmware === 'auto') {
        if (!(await resolve(m))) return;
      } else {
        attach(m, range.firmware);
        const reading = await m.driver?.read();
        if (!reading || reading.state === 'offline') return;
        m.reading = { ...reading, id };
      }
      miners.set(id, m);
      added++;
    });
    return added;
  }

  return {
    list: (): ManagedMiner[] => [...miners.values()],
    /** Builds drivers for listed miners (detecting `auto` ones) and scans the ranges. */
    async discover(): Promise<{ added: number; undetected: number }> {
      const pending = [...miners.values()].filter((m) => !m.driver);
      await runBounded(pending, options.concurrency, async (m) => {
        if (!(await resolve(m))) log.warn({ minerId: m.id, host: m.endpoint.host }, 'miner firmware not detected');
      });
      let added = 0;
      for (const range of config.ranges) added += await scanRange(range);
      if (added > 0) log.info({ added, total: miners.size }, 'miners discovered in ranges');
      return { added, undetected: [...miners.values()].filter((m) => !m.driver).length };
    },
  };
}
export type Inventory = ReturnType<typeof createInventory>;
