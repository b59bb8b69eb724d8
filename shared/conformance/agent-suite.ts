import { createPublicKey, type KeyObject } from 'node:crypto';
import { agentTopic } from '../protocol/index.js';
import { controlForge, type Signing } from './control-forge.js';
import { Observer, type BrokerOptions, type Seen } from './observer.js';
import { AGENT_REQUIREMENTS } from './requirements.js';
import { Results, type Outcome } from './results.js';

export interface AgentSuiteOptions {
  broker: BrokerOptions;
  site: string;
  agent: string;
  /** The private key whose public half the agent trusts (the collector's signing key, or a test one). */
  privateKey: KeyObject;
  /** The agent's MQTT client id: the kit takes it over to cut the agent off the broker (an outage). */
  agentClientId: string;
  /** Deadline for each thing awaited. */
  timeoutMs: number;
  progress?: (line: string) => void;
}

interface Telemetry {
  session: number;
  seq: number;
  historical: boolean;
  revisions: Array<number | null>;
}

class StopRun extends Error {}

/**
 * Plays the collector's side against one agent (docs/protocol.md, "Conformance
 * kit"): watches presence, birth and telemetry, cuts the agent off the broker
 * twice to check the Will, replay and acks, then sends good and bad controls
 * and reads the reports. Needs to be the only collector for that agent while
 * it runs; leaves a retained `mode: none` control on the agent's topic.
 */
export async function runAgentSuite(options: AgentSuiteOptions): Promise<Outcome[]> {
  const { site, agent, timeoutMs } = options;
  const say = options.progress ?? (() => undefined);
  const results = new Results(AGENT_REQUIREMENTS);
  const topic = (kind: Parameters<typeof agentTopic>[2]) => agentTopic(site, agent, kind);
  const T = { state: topic('state'), birth: topic('birth'), telemetry: topic('telemetry'), ack: topic('telemetry/ack'), control: topic('control'), report: topic('control/report') };
  const keys = { privateKey: options.privateKey, publicKey: createPublicKey(options.privateKey) };
  const forge = controlForge(site, agent, keys);

  const kit = await Observer.connect(options.broker, `hashwatt-conformance-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let autoAck = false;
  const highest = new Map<number, number>();
  kit.client.on('message', (t) => {
    if (t !== T.telemetry || !autoAck) return;
    const m = telemetryOf(kit.seen[kit.seen.length - 1]!);
    if (!m) return;
    const top = Math.max(highest.get(m.session) ?? 0, m.seq);
    highest.set(m.session, top);
    void publishAck(m.session, top).catch(() => undefined);
  });
  const sentRevisions: number[] = [];
  const ownAcks = new Set<string>();
  const publishAck = (session: number, seq: number) => {
    const text = JSON.stringify({ v: 1, session, seq });
    ownAcks.add(text);
    return kit.publish(T.ack, text, false);
  };
  /** Highest seq of a session acknowledged by someone else (another collector on the broker), for the replay check. */
  const foreignAck = (session: number, until = kit.mark) => {
    let top = 0;
    for (const s of kit.seen.slice(0, until)) {
      if (s.topic !== T.ack || ownAcks.has(s.bytes.toString('utf8'))) continue;
      if (s.json?.session === session && typeof s.json.seq === 'number') top = Math.max(top, s.json.seq);
    }
    return top;
  };

  try {
    await kit.subscribe([T.state, T.birth, T.telemetry, T.ack, T.control, T.report]);

    // Presence and birth.
    say('waiting for the agent state and birth');
    const state = await kit.waitFor((s) => s.topic === T.state && s.result.ok && s.json?.online === true, timeoutMs);
    if (!state) {
      results.fail('AGENT-STATE', `no valid state with online: true on ${T.state} within ${timeoutMs} ms${describeInvalid(kit.on(T.state))}`);
      throw new StopRun();
    }
    const session = state.json!.session as number;
    results.pass('AGENT-STATE', `online, session ${session}${state.retained ? ', retained' : ''}`);
    const birth = await kit.waitFor((s) => s.topic === T.birth, timeoutMs);
    if (!birth) results.fail('AGENT-BIRTH', `no birth on ${T.birth} within ${timeoutMs} ms`);
    else if (!birth.result.ok) results.fail('AGENT-BIRTH', `birth refused: ${birth.result.error.reason}: ${birth.result.error.message}`);
    else if (birth.json!.session !== session) results.fail('AGENT-BIRTH', `birth session ${String(birth.json!.session)} differs from state session ${session}`);
    else results.pass('AGENT-BIRTH', `${String((birth.json!.miners as { total?: number })?.total)} miners, session ${session}`);

    // Telemetry before any ack.
    say('waiting for live telemetry');
    const live = await waitCount(kit, (s) => isLive(s, session), 2, timeoutMs, 0);
    if (!live) {
      results.fail('AGENT-TELEMETRY-SHAPE', `fewer than 2 live telemetry messages of session ${session} within ${timeoutMs} ms${describeInvalid(kit.on(T.telemetry))}`);
      throw new StopRun();
    }

    // The kit cuts the agent off by taking over its client id; a broker that forbids it leaves these four unchecked.
    const cutOff = async (): Promise<boolean> => {
      try {
        await takeOver(options.broker, options.agentClientId);
        return true;
      } catch (err) {
        const why = `could not cut the agent off: ${(err as Error).message} (the kit's broker identity must be allowed to use the agent's client id; see --agent-client-id)`;
        for (const id of ['AGENT-WILL', 'AGENT-RECONNECT', 'AGENT-REPLAY', 'AGENT-ACK']) results.fail(id, why);
        autoAck = true;
        return false;
      }
    };
    const outages = async (): Promise<void> => {
      // Outage 1: nothing acknowledged yet, so everything seen must come again.
      // Seqs another collector acknowledged are rightly not replayed; the kit should be alone, and says so when it is not.
      const foreign = foreignAck(session);
      const unacked = new Set(kit.on(T.telemetry).map(telemetryOf).filter((m): m is Telemetry => m !== null && m.session === session && m.seq > foreign).map((m) => m.seq));
      if (unacked.size === 0) {
        results.fail('AGENT-REPLAY', `another collector acknowledged session ${session} up to seq ${foreign} on ${T.ack}: run the kit as the agent's only collector`);
      }
      say(`cutting the agent off the broker (client id ${options.agentClientId}); ${unacked.size} messages unacknowledged`);
      const cut1 = kit.mark;
      if (!(await cutOff())) return;
      const will = await kit.waitFor((s) => s.topic === T.state && s.json?.online === false, timeoutMs, cut1);
      if (will && will.result.ok && will.json!.session === session) results.pass('AGENT-WILL', 'state online: false published by the broker on the lost connection');
      else if (will) results.fail('AGENT-WILL', `the Will is not a valid state of session ${session}: ${will.result.ok ? `session ${String(will.json!.session)}` : will.result.error.message}`);
      else results.fail('AGENT-WILL', `no state online: false within ${timeoutMs} ms of the connection loss (is the Will set on ${T.state}, retained, QoS 1?)`);
      const back = await kit.waitFor((s) => s.topic === T.state && s.json?.online === true, timeoutMs, cut1);
      const reBirth = back ? await kit.waitFor((s) => s.topic === T.birth, timeoutMs, cut1) : null;
      if (back && reBirth) results.pass('AGENT-RECONNECT', 'state online: true and birth republished');
      else {
        results.fail('AGENT-RECONNECT', back ? 'no birth after reconnecting' : `no state online: true within ${timeoutMs} ms after the outage`);
        throw new StopRun();
      }
      // An ack from another collector that reached the agent while it was back online also, rightly, spares a seq.
      const owed = () => [...unacked].filter((seq) => seq > foreignAck(session));
      const replayed = await kit.waitFor(() => owed().every((seq) => replays(kit, cut1, session).has(seq)), timeoutMs, cut1);
      const got = replays(kit, cut1, session);
      const missing = owed().filter((seq) => !got.has(seq));
      const unmarked = kit.seen.slice(cut1).map(telemetryOf).filter((m) => m && m.session === session && unacked.has(m.seq) && !m.historical);
      if (owed().length === 0) results.fail('AGENT-REPLAY', `another collector acknowledged session ${session} up to seq ${foreignAck(session)} on ${T.ack}, leaving nothing to replay: run the kit as the agent's only collector`);
      if (replayed && unmarked.length === 0) results.pass('AGENT-REPLAY', `${owed().length} unacknowledged messages sent again with historical: true${foreignAck(session) ? ` (seq ≤ ${foreignAck(session)} acknowledged by another collector)` : ''}`);
      else if (unmarked.length > 0) results.fail('AGENT-REPLAY', `seq ${unmarked.map((m) => m!.seq).join(', ')} sent again without historical: true`);
      else results.fail('AGENT-REPLAY', `within ${timeoutMs} ms after reconnecting, unacknowledged seq ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? '…' : ''} of session ${session} did not come again${foreignAck(session) > foreign ? ` (another collector acknowledged up to seq ${foreignAck(session)} meanwhile: run the kit as the agent's only collector)` : ''}`);

      // Acknowledge everything seen, then outage 2: nothing acknowledged may come again.
      // Reports that carry a seq share the counter with telemetry (docs/protocol.md#controlreport): the kit has them too.
      const ackSeq = Math.max(...kit.seen.map(sequenced).filter((m): m is Sequenced => m !== null && m.session === session).map((m) => m.seq));
      await publishAck(session, ackSeq);
      autoAck = true;
      highest.set(session, ackSeq);
      say(`acknowledged seq ≤ ${ackSeq}; waiting for one more live message, then a second outage`);
      await waitCount(kit, (s) => isLive(s, session), 1, timeoutMs, kit.mark);
      const cut2 = kit.mark;
      if (!(await cutOff())) return;
      const back2 = await kit.waitFor((s) => s.topic === T.state && s.json?.online === true, timeoutMs, cut2);
      if (!back2) {
        results.fail('AGENT-ACK', `the agent did not come back within ${timeoutMs} ms after the second outage`);
      } else {
        await waitCount(kit, (s) => isLive(s, session), 3, timeoutMs, kit.seen.indexOf(back2));
        const again = kit.seen.slice(cut2).map(sequenced).filter((m) => m && m.session === session && m.seq <= ackSeq);
        if (again.length === 0) results.pass('AGENT-ACK', `nothing ≤ seq ${ackSeq} sent again after the ack and an outage`);
        else results.fail('AGENT-ACK', `acknowledged seq ${[...new Set(again.map((m) => m!.seq))].slice(0, 10).join(', ')} sent again after ack ${session}/${ackSeq}`);
      }
    };
    await outages();

    // Controls.
    const base = baseRevision(kit, T.control, T.telemetry);
    const rev = { unsigned: base + 1, forged: base + 2, otherSite: base + 3, expired: base + 4, accept: base + 5, restore: base + 6 };
    say(`sending controls from revision ${rev.unsigned}`);
    const send = async (fields: Parameters<typeof forge.build>[0], signing: Signing, build = forge.build) => {
      sentRevisions.push(fields.revision);
      const mark = kit.mark;
      await kit.publish(T.control, JSON.stringify(build(fields, signing)), true);
      return mark;
    };
    const expectRejected = async (id: string, revision: number, reason: string, mark: number) => {
      const r = await kit.waitFor((s) => s.topic === T.report && s.json?.revision === revision && s.json?.status !== 'received', timeoutMs, mark);
      if (!r) return results.fail(id, `no verdict for revision ${revision} within ${timeoutMs} ms (expected rejected(${reason}))`);
      const got = `${String(r.json!.status)}${r.json!.reason ? `(${String(r.json!.reason)})` : ''}`;
      if (r.json!.status === 'rejected' && r.json!.reason === reason) results.pass(id, `rejected(${reason})`);
      else results.fail(id, `expected rejected(${reason}), got ${got}${r.json!.detail ? `: ${String(r.json!.detail)}` : ''}`);
    };
    await expectRejected('AGENT-CTL-UNSIGNED', rev.unsigned, 'unsigned', await send({ revision: rev.unsigned }, 'none'));
    await expectRejected('AGENT-CTL-FORGED', rev.forged, 'bad_signature', await send({ revision: rev.forged }, 'forged'));
    const otherSite = controlForge(`${site.slice(0, 40)}-other`, agent, keys);
    await expectRejected('AGENT-CTL-OTHER-SITE', rev.otherSite, 'wrong_target', await send({ revision: rev.otherSite }, 'good', otherSite.build));
    const hourAgo = Date.now() - 3_600_000;
    await expectRejected('AGENT-CTL-EXPIRED', rev.expired, 'expired', await send({ revision: rev.expired, issuedAt: hourAgo - 60_000, validFrom: hourAgo - 60_000, validUntil: hourAgo }, 'good'));

    const acceptMark = await send({ revision: rev.accept }, 'good');
    const holding = await kit.waitFor((s) => s.topic === T.report && s.json?.revision === rev.accept && ['holding', 'rejected', 'failed'].includes(String(s.json?.status)), timeoutMs, acceptMark);
    const statuses = kit.seen.slice(acceptMark).filter((s) => s.topic === T.report && s.json?.revision === rev.accept).map((s) => String(s.json!.status));
    if (holding?.json?.status === 'holding' && statuses.filter((s) => s !== 'received')[0] === 'accepted') {
      results.pass('AGENT-CTL-ACCEPT', `${statuses.join(' → ')}, achievedKw ${String(holding.json.achievedKw)}`);
    } else {
      results.fail('AGENT-CTL-ACCEPT', `revision ${rev.accept} (max_kw 1,000,000 kW, signed): reports ${statuses.join(' → ') || 'none'}${holding ? '' : ` and no holding within ${timeoutMs} ms`}`);
    }
    const tagged = await kit.waitFor((s) => { const m = telemetryOf(s); return m !== null && !m.historical && m.revisions.includes(rev.accept); }, timeoutMs, acceptMark);
    if (tagged) results.pass('AGENT-TELEMETRY-REVISION', `samples carry revision ${rev.accept}`);
    else results.fail('AGENT-TELEMETRY-REVISION', `no live telemetry sample with revision ${rev.accept} within ${timeoutMs} ms of accepting it`);

    const staleRev = rev.otherSite;
    await expectRejected('AGENT-CTL-STALE', staleRev, 'stale', await send({ revision: staleRev }, 'good'));

    const restoreMark = await send({ revision: rev.restore, mode: 'none', value: null }, 'good');
    const released = await kit.waitFor((s) => s.topic === T.report && s.json?.revision === rev.restore && ['released', 'rejected', 'failed'].includes(String(s.json?.status)), timeoutMs, restoreMark);
    const restoreStatuses = kit.seen.slice(restoreMark).filter((s) => s.topic === T.report && s.json?.revision === rev.restore).map((s) => String(s.json!.status));
    if (released?.json?.status === 'released') results.pass('AGENT-RESTORE', restoreStatuses.join(' → '));
    else results.fail('AGENT-RESTORE', `revision ${rev.restore} (mode none): reports ${restoreStatuses.join(' → ') || 'none'}${released ? '' : ` and no released within ${timeoutMs} ms`}`);
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
  } finally {
    judgeTelemetry(kit, T.telemetry, results);
    judgeSeq(kit, results);
    judgeReports(kit, T.report, sentRevisions, results);
    await kit.close();
  }
  return results.all();
}

interface Sequenced {
  session: number;
  seq: number;
}

/** Session and seq of a telemetry message or of a control report that carries them. */
function sequenced(s: Seen): Sequenced | null {
  if (!s.result.ok) return null;
  const m = s.result.message;
  if (m.kind === 'telemetry') return { session: m.payload.session, seq: m.payload.seq };
  if (m.kind === 'control/report' && m.payload.session !== undefined && m.payload.seq !== undefined) return { session: m.payload.session, seq: m.payload.seq };
  return null;
}

function telemetryOf(s: Seen): Telemetry | null {
  if (!s.topic.endsWith('/telemetry') || !s.result.ok || s.result.message.kind !== 'telemetry') return null;
  const p = s.result.message.payload;
  return { session: p.session, seq: p.seq, historical: p.historical === true, revisions: p.samples.map((x) => x.revision) };
}

function isLive(s: Seen, session: number): boolean {
  const m = telemetryOf(s);
  return m !== null && m.session === session && !m.historical;
}

function replays(kit: Observer, from: number, session: number): Set<number> {
  return new Set(kit.seen.slice(from).map(telemetryOf).filter((m): m is Telemetry => m !== null && m.session === session && m.historical).map((m) => m.seq));
}

async function waitCount(kit: Observer, match: (s: Seen) => boolean, n: number, timeoutMs: number, from: number): Promise<boolean> {
  let count = 0;
  const hit = await kit.waitFor((s) => match(s) && ++count >= n, timeoutMs, from);
  return hit !== null;
}

/** Connects with the agent's client id: the broker drops the agent's connection (MQTT-3.1.4-2), as an outage would. */
async function takeOver(broker: BrokerOptions, clientId: string): Promise<void> {
  const intruder = await Observer.connect(broker, clientId, { reconnectPeriod: 0 });
  // End at once: the agent reconnects (taking the id back) as it would after any outage.
  intruder.client.end(true);
}

/** A revision above anything the agent may hold: the retained control's and the one its telemetry reports. */
function baseRevision(kit: Observer, controlTopic: string, telemetryTopic: string): number {
  let top = 0;
  for (const s of kit.on(controlTopic)) if (typeof s.json?.revision === 'number') top = Math.max(top, s.json.revision);
  for (const s of kit.on(telemetryTopic)) for (const r of telemetryOf(s)?.revisions ?? []) if (r !== null) top = Math.max(top, r);
  return top;
}

function describeInvalid(seen: Seen[]): string {
  const bad = seen.find((s) => !s.result.ok);
  return bad && !bad.result.ok ? `; one was refused: ${bad.result.error.reason}: ${bad.result.error.message}` : '';
}

function judgeTelemetry(kit: Observer, topic: string, results: Results): void {
  const seen = kit.on(topic);
  const bad = seen.find((s) => !s.result.ok);
  if (bad && !bad.result.ok) results.fail('AGENT-TELEMETRY-SHAPE', `${bad.result.error.reason}: ${bad.result.error.message}`.slice(0, 300));
  else if (seen.length > 0) results.pass('AGENT-TELEMETRY-SHAPE', `${seen.length} messages decoded`);
}

/** Per session: live telemetry seqs only grow, and telemetry plus sequenced reports leave no seq out. */
function judgeSeq(kit: Observer, results: Results): void {
  const bySession = new Map<number, Array<Sequenced & { live: boolean }>>();
  for (const s of kit.seen) {
    const m = sequenced(s);
    if (!m) continue;
    const live = s.result.ok && s.result.message.kind === 'telemetry' && s.result.message.payload.historical !== true;
    bySession.set(m.session, [...(bySession.get(m.session) ?? []), { ...m, live }]);
  }
  for (const [session, messages] of bySession) {
    const live = messages.filter((m) => m.live).map((m) => m.seq);
    const reused = live.find((seq, i) => live.indexOf(seq) !== i);
    if (reused !== undefined) return results.fail('AGENT-SEQ', `session ${session}: seq ${reused} sent live twice`);
    const back = live.find((seq, i) => i > 0 && seq <= live[i - 1]!);
    if (back !== undefined) return results.fail('AGENT-SEQ', `session ${session}: live seq ${back} after a higher one`);
    const all = new Set(messages.map((m) => m.seq));
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    for (let s = lo; s <= hi; s++) if (!all.has(s)) return results.fail('AGENT-SEQ', `session ${session}: seq ${s} never sent, neither by telemetry nor by a report (saw ${lo}..${hi})`);
  }
  if (bySession.size > 0) results.pass('AGENT-SEQ', [...bySession].map(([s, m]) => `session ${s}: seq ${Math.min(...m.map((x) => x.seq))}..${Math.max(...m.map((x) => x.seq))} without gaps`).join('; '));
}

function judgeReports(kit: Observer, topic: string, revisions: number[], results: Results): void {
  const seen = kit.on(topic);
  const bad = seen.find((s) => !s.result.ok);
  if (bad && !bad.result.ok) return results.fail('AGENT-REPORT-SHAPE', `${bad.result.error.reason}: ${bad.result.error.message}`.slice(0, 300));
  // A revision starts with its verdict, or with `received` when the verdict is not at once.
  for (const revision of new Set(revisions)) {
    const first = seen.find((s) => s.json?.revision === revision && s.json?.status !== 'received');
    if (first && first.json!.status !== 'accepted' && first.json!.status !== 'rejected') return results.fail('AGENT-REPORT-SHAPE', `the first report for revision ${revision} is ${String(first.json!.status)}, not its verdict (accepted or rejected)`);
  }
  if (revisions.length > 0) results.pass('AGENT-REPORT-SHAPE', `${seen.length} reports decoded, each revision starts with its verdict (or received, then the verdict)`);
}
