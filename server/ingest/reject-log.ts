import type { Logger } from '../../shared/log/logger.js';
import type { DecodeError } from '../../shared/protocol/codec.js';

/**
 * Logs refused messages at most once per interval per source (the topic's
 * site/agent), with a count of what was suppressed: a misbehaving agent
 * sending garbage at 100 Hz must not flood the log or the disk.
 */
export function createRejectLog(log: Logger, intervalMs = 10_000, maxSources = 10_000) {
  const sources = new Map<string, { last: number; suppressed: number }>();
  return (error: Pick<DecodeError, 'topic' | 'message' | 'issues'> & { reason: string }, now: number) => {
    const source = error.topic.split('/').slice(0, 4).join('/');
    let entry = sources.get(source);
    if (!entry) {
      if (sources.size >= maxSources) sources.clear();
      entry = { last: -Infinity, suppressed: 0 };
      sources.set(source, entry);
    }
    if (now - entry.last < intervalMs) {
      entry.suppressed++;
      return;
    }
    log.warn({ source, topic: error.topic.slice(0, 300), reason: error.reason, problem: error.message.slice(0, 500), issues: error.issues?.slice(0, 10), suppressed: entry.suppressed }, 'message refused');
    entry.last = now;
    entry.suppressed = 0;
  };
}
