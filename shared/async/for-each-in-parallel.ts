/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of
 * start; resolves when all are done, rejects with the first failure (the calls
 * already running finish on their own). For store lookups that each take a
 * round trip to the database: a pool serves several at once.
 */
export async function forEachInParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
