/**
 * Runs async jobs one after the other, in the order they were handed in: a job
 * starts when the one before it settled, whether it resolved or threw. For
 * work whose reads and writes must not interleave with each other (an event
 * change, a site's samples, an alert pass) once the store is async.
 */
export function oneAtATime() {
  let last: Promise<unknown> = Promise.resolve();
  return {
    /** `fn`'s result (or error), after every job handed in before it. */
    run<T>(fn: () => Promise<T>): Promise<T> {
      const next = last.then(fn, fn);
      last = next.catch(() => undefined);
      return next;
    },
    /** Settles when every job handed in so far has. */
    idle(): Promise<void> {
      return last.then(() => undefined);
    },
  };
}
export type OneAtATime = ReturnType<typeof oneAtATime>;
