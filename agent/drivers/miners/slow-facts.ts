/**
 * Facts a miner reports that rarely change between polls (model, firmware
 * version, device info, a Braiins `miner/details`), kept per driver instance
 * so a steady-state read asks the miner only for what moves. The agent keeps
 * one driver per miner across polls, so the cache lives as long as the miner
 * is polled.
 *
 * A cached value is used only while it is trusted: it is refetched every
 * `refreshEvery` reads, after any failed read, after `invalidate()` (drivers
 * call it when they send a control command), and whenever the driver says
 * the fast part of the reading is ambiguous without it (`mustRefresh`).
 */

/** Default: one full read in ten polls; at a 30 s poll interval that is every 5 minutes. */
export const DEFAULT_REFRESH_EVERY = 10;

export class SlowFacts<T> {
  private value: T | undefined;
  private fetchedAt = 0;
  private readsSinceFetch = 0;
  private phased = false;

  constructor(
    private readonly refreshEvery: number = DEFAULT_REFRESH_EVERY,
    /** Spreads the first refresh of each miner over `refreshEvery` polls so a fleet's full reads do not all land in the same poll. */
    private readonly random: () => number = Math.random,
  ) {}

  /** The cached value, or undefined when it must be fetched for this read. Counts the read. */
  current(mustRefresh = false): T | undefined {
    if (this.value === undefined || mustRefresh || this.readsSinceFetch >= this.refreshEvery - 1) return undefined;
    this.readsSinceFetch++;
    return this.value;
  }

  /** The cached value without counting a read (to decide whether it must be refreshed). */
  peek(): T | undefined {
    return this.value;
  }

  /** Stores a freshly fetched value; `at` is when it was read (ms). */
  remember(value: T, at: number): T {
    this.value = value;
    this.fetchedAt = at;
    this.readsSinceFetch = 0;
    if (!this.phased) {
      this.phased = true;
      this.readsSinceFetch = Math.floor(this.random() * this.refreshEvery);
    }
    return value;
  }

  /** Milliseconds since the cached value was fetched (0 when none). */
  ageMs(now: number): number {
    return this.value === undefined ? 0 : Math.max(0, now - this.fetchedAt);
  }

  /** Forget the value: the next read fetches it again. */
  invalidate(): void {
    this.value = undefined;
    this.readsSinceFetch = 0;
  }
}
