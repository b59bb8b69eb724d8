import type { ServerResponse } from 'node:http';

/**
 * Server-sent events fan-out. Each kind of update is coalesced per key (a site,
 * an event) and sent at most every `throttleMs`: a dashboard wants the latest
 * state, not every intermediate one, and 10,000 sites must not flood a browser.
 */
export function createStreamHub(throttleMs = 500) {
  const clients = new Set<ServerResponse>();
  /** `data` may read the store, so it may be async; the hub awaits each in turn. */
  const pending = new Map<string, { type: string; data: () => unknown }>();
  let timer: NodeJS.Timeout | undefined;
  let nextId = 1;

  function write(res: ServerResponse, type: string, data: unknown): void {
    res.write(`id: ${nextId++}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  async function drain(): Promise<void> {
    timer = undefined;
    const batch = [...pending.values()];
    pending.clear();
    if (clients.size === 0) return;
    for (const item of batch) {
      let data: unknown;
      try {
        data = await item.data();
      } catch {
        continue; // the thing changed meanwhile (deleted, store closing): the next update carries it
      }
      if (data === undefined) continue;
      for (const res of clients) write(res, item.type, data);
    }
  }

  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  return {
    add(res: ServerResponse): void {
      clients.add(res);
      res.on('close', () => clients.delete(res));
      res.write('retry: 2000\n\n');
    },
    /** Queues an update; `data` is evaluated when sent, so it is the latest. */
    publish(type: string, key: string, data: () => unknown): void {
      if (clients.size === 0) return;
      pending.set(`${type}:${key}`, { type, data });
      timer ??= setTimeout(() => void drain(), throttleMs);
    },
    /** Sends at once (violations: each one matters). */
    now(type: string, data: unknown): void {
      for (const res of clients) write(res, type, data);
    },
    clients: () => clients.size,
    close(): void {
      clearInterval(keepAlive);
      if (timer) clearTimeout(timer);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
export type StreamHub = ReturnType<typeof createStreamHub>;
