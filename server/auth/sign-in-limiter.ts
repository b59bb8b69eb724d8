/**
 * Failed sign-ins per client address and per username within a window:
 * past the limit, sign-in is refused (429) until the window moves on, even
 * with the right password, so guessing costs a window per few tries. Both
 * keys count, so one address cannot spray many names and many addresses
 * cannot hammer one name. In memory: a restart forgets, which costs an
 * attacker a restart of the collector.
 */
export interface SignInLimits {
  maxFailures: number;
  windowMs: number;
}

export function createSignInLimiter(limits: SignInLimits, clock: () => number) {
  const failures = new Map<string, number[]>();

  const recent = (key: string, now: number): number[] => {
    const list = (failures.get(key) ?? []).filter((t) => t > now - limits.windowMs);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };

  return {
    /** Seconds until another try is allowed, or 0. */
    retryAfterS(ip: string, username: string): number {
      const now = clock();
      let wait = 0;
      for (const key of [`ip:${ip}`, `user:${username.toLowerCase()}`]) {
        const list = recent(key, now);
        if (list.length >= limits.maxFailures) wait = Math.max(wait, Math.ceil((list[list.length - limits.maxFailures]! + limits.windowMs - now) / 1000));
      }
      return wait;
    },
    failed(ip: string, username: string): void {
      const now = clock();
      for (const key of [`ip:${ip}`, `user:${username.toLowerCase()}`]) failures.set(key, [...recent(key, now), now]);
      if (failures.size > 100_000) failures.clear(); // bounded memory under a spray; the limit restarts
    },
    succeeded(username: string): void {
      failures.delete(`user:${username.toLowerCase()}`);
    },
  };
}
export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
