/** One control as the chaos watcher received it, in arrival order. */
export interface ControlArrival {
  site: string;
  revision: number;
  /** The payload exactly as it came off the broker (signature included). */
  payload: string;
}

export interface RevisionProblem {
  site: string;
  revision: number;
  problem: 'went back' | 'two contents';
}

/**
 * What two leaders acting at once would show an agent: a new revision lower than
 * one already seen (agents refuse it, so the site is stuck on the old limit), or
 * one revision published with two different contents (one leader's control
 * silently lost). A revision seen again with the same bytes is a redelivery
 * (QoS 1, retained message after a reconnect or a broker restart), not a problem.
 */
export function revisionProblems(arrivals: ControlArrival[]): RevisionProblem[] {
  const problems: RevisionProblem[] = [];
  const bySite = new Map<string, { seen: Map<number, string>; highest: number }>();
  for (const a of arrivals) {
    let site = bySite.get(a.site);
    if (!site) bySite.set(a.site, (site = { seen: new Map(), highest: -Infinity }));
    const known = site.seen.get(a.revision);
    if (known !== undefined) {
      if (known !== a.payload) problems.push({ site: a.site, revision: a.revision, problem: 'two contents' });
      continue;
    }
    if (a.revision < site.highest) problems.push({ site: a.site, revision: a.revision, problem: 'went back' });
    site.seen.set(a.revision, a.payload);
    site.highest = Math.max(site.highest, a.revision);
  }
  return problems;
}
