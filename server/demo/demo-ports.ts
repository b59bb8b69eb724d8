import { createServer } from 'node:net';

/** True when nothing listens on host:port right now (tries to listen, then lets go). */
export function portAvailable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export interface PortChoice {
  /** The port to ask for: `preferred`, or 0 (any free port) when it is taken. */
  port: number;
  /** Set when the preferred port was taken, for the printout. */
  takenPreferred?: number;
}

/**
 * The demo should start even when a Mosquitto already holds 1883 or another
 * program holds 8080: it falls back to a free port and says so, rather than
 * failing. An explicit port the user asked for is not second-guessed.
 */
export async function choosePort(host: string, preferred: number, explicit: boolean): Promise<PortChoice> {
  if (preferred === 0 || explicit) return { port: preferred };
  return (await portAvailable(host, preferred)) ? { port: preferred } : { port: 0, takenPreferred: preferred };
}
