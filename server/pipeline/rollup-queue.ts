import type { Logger } from '../../shared/log/logger.js';
import type { StoreRepositories } from '../store/store-port.js';

/** A site's minute bucket with new samples. */
export interface DirtyBucket {
  siteId: number;
  bucket: number;
}

/**
 * Minute buckets that got samples since their rollups were last computed. Ingest
 * marks them; the minute job refreshes them in chunks, and an API read (energy,
 * series) refreshes them at once so it sees everything committed.
 */
export function createRollupQueue(rollups: StoreRepositories['rollups'], log: Logger) {
  const dirty = new Map<string, DirtyBucket>();
  let job: Promise<unknown> | undefined;

  function take(): DirtyBucket[] {
    const items = [...dirty.values()];
    dirty.clear();
    return items;
  }

  return {
    mark(buckets: Iterable<DirtyBucket>): void {
      for (const d of buckets) dirty.set(`${d.siteId}:${d.bucket}`, d);
    },
    /** Before an API read (energy, series): it then sees everything committed. */
    async refreshNow(): Promise<void> {
      if (dirty.size) await rollups.refreshNow(take());
    },
    /** The minute job: in chunks, yielding to ingest between them; one at a time. */
    tick(): void {
      if (job || dirty.size === 0) return;
      job = rollups.refresh(take())
        .catch((err: unknown) => log.error({ err }, 'rollup job failed'))
        .finally(() => { job = undefined; });
    },
    /** Resolves when the running minute job (if any) is done. */
    async settle(): Promise<void> {
      await job;
    },
  };
}
export type RollupQueue = ReturnType<typeof createRollupQueue>;
