import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createTelemetryWriter, type WriteBatch } from '../store/telemetry-writer.js';

/**
 * The ingest writer thread: owns its own write connection to the collector
 * database and commits one transaction per batch, so the main thread keeps
 * reading MQTT and decoding while SQLite works on the other core. Replies
 * `{ id, fresh, gapsRecorded, ms }` (the arrays are transferred, not copied) or `{ id, error }`.
 */
const { path } = workerData as { path: string };
const db = new Database(path);
db.pragma('journal_mode = WAL');
// NORMAL under WAL is durable across process crashes (only an OS crash can lose the last commits).
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -65536');
const writer = createTelemetryWriter(db);
const port = parentPort!;

port.on('message', (m: { id: number; batch: WriteBatch } | { close: true }) => {
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  const t0 = performance.now();
  try {
    const { fresh, gapsRecorded } = writer.write(m.batch);
    port.postMessage({ id: m.id, fresh, gapsRecorded, ms: performance.now() - t0 }, [fresh.buffer as ArrayBuffer, gapsRecorded.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
