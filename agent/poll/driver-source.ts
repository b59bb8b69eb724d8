import type { DriverContext, FirmwareName, MinerDriver, MinerEndpoint } from '../drivers/miners/miner-driver.js';
import { createMinerDriver } from '../drivers/miners/registry.js';
import { detectFirmware } from '../drivers/miners/detect.js';

/** How the agent gets drivers: the typed registry and firmware detection of agent/drivers/miners. */
export interface DriverSource {
  create(firmware: FirmwareName, endpoint: MinerEndpoint, context: DriverContext): MinerDriver;
  /** The firmware answering at an endpoint, or undefined when no miner API answers. */
  detect(endpoint: MinerEndpoint, context: DriverContext): Promise<FirmwareName | undefined>;
}

export const defaultDriverSource: DriverSource = {
  create: createMinerDriver,
  detect: (endpoint, context) =>
    detectFirmware(endpoint.host, {
      timeoutMs: context.requestTimeoutMs,
      ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
      ...(endpoint.httpPort !== undefined ? { httpPort: endpoint.httpPort } : {}),
      ...(endpoint.v3Port !== undefined ? { v3Port: endpoint.v3Port } : {}),
    }).catch(() => undefined),
};
