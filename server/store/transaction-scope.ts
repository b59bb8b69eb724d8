import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../../shared/errors.js';

/**
 * Knows whether code runs inside one of the store's open transactions. A call
 * through the store itself (not the transaction's `tx`) from in there would, on
 * SQLite, wait for the transaction forever, and on PostgreSQL run on another
 * connection outside it, waiting forever on a row the transaction holds. Both
 * stores refuse it with an error that says what to do instead.
 */
export function createTransactionScope() {
  const inside = new AsyncLocalStorage<object>();
  const open = new Set<object>();
  return {
    /** Runs `fn` as an open transaction's code. */
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const token = {};
      open.add(token);
      try {
        return await inside.run(token, fn);
      } finally {
        open.delete(token);
        // With no transaction open there is nothing to tell apart: disabled, the storage's async
        // hooks stop running for every promise and callback of the process (on Node 20 they cost
        // the fan-out ~5% of its CPU), and run() enables them again for the next transaction.
        if (open.size === 0) inside.disable();
      }
    },
    refuseFromInside(what: string): void {
      const token = inside.getStore();
      if (token !== undefined && open.has(token)) {
        throw new AppError('INTERNAL', `${what} from inside a store transaction would wait for that transaction forever: use the transaction's tx`);
      }
    },
  };
}
export type TransactionScope = ReturnType<typeof createTransactionScope>;
