import { leads, type ChaosCollector } from './chaos-collectors.js';

/** What the chaos run saw of the leadership, polling every collector's /metrics. */
export interface LeaderFacts {
  /** A leader seen that is not the last one seen (another collector, or the same one after a restart). */
  takeovers: number;
  /** The longest stretch with a collector answering but none leading. */
  longestLeaderlessMs: number;
  /** Polls where two collectors said they lead at once (must be 0). */
  twoLeaders: number;
  /**
   * Seconds from a leader's kill -9 to the next leader seen, counted only when
   * that next leader was already running at the kill and was not restarted
   * since: the takeover the lease bounds (leaseTtlS + renewS, 13 s by default).
   */
  takeoverS: number[];
}

export interface LeaderWatch {
  facts: LeaderFacts;
  /** The index of the collector that leads now (asked now, not from the last poll), or undefined. */
  leader(): Promise<number | undefined>;
  /** Call right after killing the leader: starts the takeover clock. */
  leaderKilled(): void;
  stop(): void;
}

export function watchLeaders(collectors: ChaosCollector[], log: (line: string) => void, everyMs = 500): LeaderWatch {
  const facts: LeaderFacts = { takeovers: 0, longestLeaderlessMs: 0, twoLeaders: 0, takeoverS: [] };
  /** The pending takeover clock: when the leader died, and which process starts were running then. */
  let killed: { at: number; starts: number[]; running: boolean[] } | undefined;
  let last: string | undefined;
  let leaderlessMs = 0;
  let previousPoll = Date.now();
  let stopped = false;
  const ask = () => Promise.all(collectors.map((c) => leads(c)));
  const poll = async () => {
    const answers = await ask();
    const now = Date.now();
    const leading = answers.flatMap((a, i) => (a ? [i] : []));
    if (leading.length > 1) facts.twoLeaders++;
    if (leading.length > 0) {
      const i = leading[0]!;
      const who = `${i}#${collectors[i]!.starts}`;
      if (who !== last) log(`${collectors[i]!.name} leads${leaderlessMs > 0 ? ` (after ${(leaderlessMs / 1000).toFixed(1)} s without a leader)` : ''}`);
      if (last !== undefined && who !== last) facts.takeovers++;
      if (killed && who !== last) {
        if (killed.running[i] && killed.starts[i] === collectors[i]!.starts) facts.takeoverS.push((now - killed.at) / 1000);
        killed = undefined;
      }
      last = who;
      leaderlessMs = 0;
    } else if (answers.some((a) => a !== undefined)) {
      // Only while a collector answers: with all of them killed (or waiting for the broker to start), no leader is the run's doing, not the election's.
      leaderlessMs += now - previousPoll;
      facts.longestLeaderlessMs = Math.max(facts.longestLeaderlessMs, leaderlessMs);
    }
    previousPoll = now;
  };
  void (async () => {
    while (!stopped) {
      await poll();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    facts,
    async leader() {
      const i = (await ask()).findIndex((a) => a === true);
      return i < 0 ? undefined : i;
    },
    leaderKilled() {
      killed = { at: Date.now(), starts: collectors.map((c) => c.starts), running: collectors.map((c) => c.running()) };
    },
    stop: () => void (stopped = true),
  };
}
