import { createTransactionScope } from './transaction-scope.js';

/**
 * Keeps a SQLite transaction to itself. better-sqlite3 has one connection and
 * its own transactions cannot span an `await`, so the SQLite store opens one with
 * BEGIN IMMEDIATE and ends it with COMMIT or ROLLBACK by hand. Between those, any
 * statement run on that connection belongs to the transaction: another caller's
 * write would be committed with it, or rolled back with it when it fails. So
 * while a transaction is open (or waiting to open), calls not made through its
 * `tx` wait for it; and a transaction waits for calls already running (an async
 * one such as rollups.refresh yields between its chunks) to finish.
 */
export function createStoreGate() {
  /** Settles when the open (or opening) transaction ends. */
  let open: Promise<void> | undefined;
  let running = 0;
  let onDrained: (() => void) | undefined;
  const scope = createTransactionScope();

  return {
    /** Runs a call outside any transaction: after the open one ends. */
    async call<T>(fn: () => T): Promise<Awaited<T>> {
      scope.refuseFromInside('a call through the store');
      while (open) await open;
      running++;
      try {
        return await fn();
      } finally {
        if (--running === 0) onDrained?.();
      }
    },
    /** Runs `fn` alone: after the open transaction and the calls already running, before any call made meanwhile. */
    async exclusive<T>(fn: () => Promise<T>): Promise<T> {
      scope.refuseFromInside('a transaction');
      while (open) await open;
      let release!: () => void;
      open = new Promise<void>((resolve) => (release = resolve));
      try {
        while (running > 0) await new Promise<void>((resolve) => (onDrained = resolve));
        onDrained = undefined;
        return await scope.run(fn);
      } finally {
        open = undefined;
        release();
      }
    },
  };
}
export type StoreGate = ReturnType<typeof createStoreGate>;
