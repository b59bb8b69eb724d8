import { Worker } from 'node:worker_threads';
import type { WriteBatch } from '../store/telemetry-writer.js';

export interface WriteResult {
  /** Per row: 1 new, 0 a redelivery already stored. */
  fresh: Uint8Array;
  /** Per gap: 1 recorded, 0 already recorded by another collector of the share group. */
  gapsRecorded: Uint8Array;
  /** Time the writer thread spent on the transaction; null when the batch held nothing to write. */
  ms: number | null;
}

const NOTHING_WRITTEN: WriteResult = { fresh: new Uint8Array(0), gapsRecorded: new Uint8Array(0), ms: null };

/**
 * Main-thread handle of the ingest writer thread (ingest-writer-worker.ts). One
 * batch at a time is in flight; `write` resolves after the commit.
 */
export function startIngestWriter(dbPath: string) {
  const worker = new Worker(new URL('./ingest-writer-worker.js', import.meta.url), { workerData: { path: dbPath } });
  const pending = new Map<number, { resolve(r: WriteResult): void; reject(e: Error): void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (m: { id: number; fresh?: Uint8Array; gapsRecorded?: Uint8Array; ms?: number; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve({ fresh: m.fresh!, gapsRecorded: m.gapsRecorded!, ms: m.ms! });
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`ingest writer thread exited (${code})`)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  return {
    write(batch: WriteBatch): Promise<WriteResult> {
      if (failure) return Promise.reject(failure);
      // Batches of only control reports, states and births (a curtailment event's reports)
      // skip the thread hop: every such batch used to wait on it before its reports were written.
      if (batch.rows.length === 0 && batch.acks.length === 0 && batch.gaps.length === 0) return Promise.resolve(NOTHING_WRITTEN);
      const id = nextId++;
      return new Promise<WriteResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, batch });
      });
    },
    /** Closes the writer's connection (after the batches already posted) and ends the thread. */
    async close(): Promise<void> {
      if (!failure) worker.postMessage({ close: true });
      await exited;
    },
  };
}
export type IngestWriter = ReturnType<typeof startIngestWriter>;
