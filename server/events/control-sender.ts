import type { Logger } from '../../shared/log/logger.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { PublishedMark } from '../store/event-repository.js';
import type { ControlChannel } from './control-channel.js';
import { publishControlsCb } from './control-publisher.js';

/** How long broker acknowledgements gather before one transaction records them. */
const MARK_MS = 100;

export interface ControlSenderOptions {
  channel: ControlChannel;
  /** Records acknowledged controls as published, in one store transaction. */
  recordPublished(batch: PublishedMark[]): Promise<void>;
  metrics: Pick<CollectorMetrics, 'controls'>;
  log: Logger;
  clock: () => number;
}

/**
 * Puts stored, signed controls on the broker and records which ones the broker
 * acknowledged. A control is published only after the commit that stored it
 * (so the broker never has one the store lacks), and is "being sent" from the
 * publish until its acknowledgement is recorded: the event tick's retry of
 * unpublished controls skips it meanwhile, rather than piling a second copy on
 * a slow broker.
 */
export function createControlSender(options: ControlSenderOptions) {
  const { channel, metrics, log, clock } = options;
  /** site:revision being sent now. */
  const sending = new Set<string>();
  const key = (siteId: number, revision: number) => `${siteId}:${revision}`;
  /** Sites whose publish awaits the broker's PUBACKs; settle() waits for them. */
  let inFlight = 0;
  let idle: (() => void) | undefined;
  /** Acknowledged, not yet recorded. */
  const acknowledged: Array<PublishedMark & { key: string }> = [];
  let marking: Promise<void> | undefined;

  async function recordNow(): Promise<void> {
    const batch = acknowledged.splice(0);
    if (batch.length === 0) return;
    try {
      await options.recordPublished(batch);
    } catch (err) {
      log.warn({ err }, 'could not record published controls');
    }
    for (const p of batch) sending.delete(p.key);
  }

  /**
   * One transaction per MARK_MS, each acknowledgement with its own PUBACK time: a
   * transaction per turn of the event loop was ~60 commits per 1,000 controls, each
   * writing the controls' pages (a ~1 kB payload per row) to the WAL again, and the
   * checkpoints copying them back (profiled: ~10 ms of the fan-out at 25 ms, ~2 ms at 100 ms).
   */
  function acknowledge(siteId: number, revision: number, k: string): void {
    acknowledged.push({ siteId, revision, at: clock(), key: k });
    marking ??= (async () => {
      while (acknowledged.length) {
        await new Promise<void>((resolve) => setTimeout(resolve, MARK_MS));
        await recordNow();
      }
    })().finally(() => { marking = undefined; });
  }

  return {
    /** Whether this revision of the site's control is on its way to the broker (or its acknowledgement not yet recorded). */
    isSending(siteId: number, revision: number): boolean {
      return sending.has(key(siteId, revision));
    },
    /** Publishes a stored control to each of the site's agents; a failure leaves it unpublished for the tick to retry. */
    send(siteId: number, site: string, revision: number, payload: Record<string, unknown>): void {
      const perAgent = (payload.perAgent ?? {}) as Parameters<typeof publishControlsCb>[2];
      if (Object.keys(perAgent).length === 0) return;
      const k = key(siteId, revision);
      if (sending.has(k)) return;
      sending.add(k);
      inFlight++;
      publishControlsCb(channel, site, perAgent, (err) => {
        if (err) {
          log.warn({ err, site, revision }, 'control publish failed; retried on the next tick');
          sending.delete(k);
        } else {
          acknowledge(siteId, revision, k);
          metrics.controls.inc();
        }
        if (--inFlight === 0) idle?.();
      });
    },
    /** Waits until the broker has every control in flight and their acknowledgements are recorded (shutdown). */
    async settle(): Promise<void> {
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await recordNow(); // the last acknowledgements, now rather than after the timer
      await marking;
    },
  };
}
export type ControlSender = ReturnType<typeof createControlSender>;
