// Keeps a view's data fresh: stream events of the given types (and passing
// `when`) refetch, at most once per `minIntervalMs` with the trailing edge
// kept, and a slow poll covers a dropped stream. Refetching the public API rather than patching state from event
// payloads keeps one source of truth: what the API says.

import * as live from './live.js';

export function keepFresh(load, { types = ['*'], when = () => true, minIntervalMs = 1000, pollMs = 15_000 } = {}) {
  let stopped = false;
  let running = false;
  let again = false;
  let lastRun = 0;
  let timer = null;

  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    lastRun = Date.now();
    try {
      await load();
    } catch (err) {
      if (err?.status !== 401) console.warn('refresh failed', err?.message ?? err);
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (stopped || timer) return;
    const wait = Math.max(0, lastRun + minIntervalMs - Date.now());
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, wait);
  };

  const offs = types.map((t) => live.on(t, (data, type) => {
    if (when(data, type)) schedule();
  }));
  const poll = setInterval(schedule, pollMs);
  void run();
  return {
    now: () => schedule(),
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const off of offs) off();
    },
  };
}
