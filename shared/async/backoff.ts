/** Jittered exponential backoff ("full jitter" halved): spreads a fleet's reconnects after a broker restart. */
export function backoffDelayMs(attempt: number, { baseMs = 500, maxMs = 30_000, random = Math.random } = {}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
