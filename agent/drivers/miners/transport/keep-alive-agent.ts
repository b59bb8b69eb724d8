import { Agent } from 'node:http';

/**
 * One keep-alive connection per miner, for drivers that make several HTTP
 * requests per reading (Braiins REST: stats and cooling, plus details now and
 * then). `maxSockets: 1` queues a reading's requests on one socket instead of
 * opening one each (the miner's web server is small, and a farm is thousands
 * of miners). Between readings nothing is kept: the driver calls
 * `closeIdleSockets` when a reading or action is done, so 10,000 miners polled
 * every 30 s hold no idle descriptors on either side. `IDLE_TIMEOUT_MS`
 * bounds a socket left idle by any other path.
 */

export const IDLE_TIMEOUT_MS = 2000;

export function createMinerAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: IDLE_TIMEOUT_MS, scheduling: 'lifo' });
}

/** Destroys the agent's idle sockets; sockets carrying a request are left alone. */
export function closeIdleSockets(agent: Agent): void {
  for (const list of Object.values(agent.freeSockets)) {
    for (const socket of list ?? []) socket.destroy();
  }
}
