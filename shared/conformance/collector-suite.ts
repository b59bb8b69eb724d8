import type { KeyObject } from 'node:crypto';
import { agentTopic, COLLECTOR_STATE_TOPIC, encode } from '../protocol/index.js';
import { verifyPayload } from '../signing/control-signing.js';
import { Observer, type BrokerOptions, type Seen } from './observer.js';
import { COLLECTOR_REQUIREMENTS } from './requirements.js';
import { Results, type Outcome } from './results.js';

export interface CollectorSuiteOptions {
  broker: BrokerOptions;
  site: string;
  agent: string;
  /** Client id the kit uses as the agent (default hashwatt-agent-{site}-{agent}). */
  clientId: string;
  /** The collector's public signing key: checks a retained control when there is one. */
  publicKey?: KeyObject;
  timeoutMs: number;
  /** How long an ack past a missing seq must stay away (shorter than the collector's gap timeout). */
  gapWindowMs: number;
  progress?: (line: string) => void;
}

class StopRun extends Error {}

/**
 * Plays an agent against a collector (docs/protocol.md, "Conformance kit"):
 * presence, acknowledgements after storage, gaps, duplicates, refusals and
 * sessions, and the signature of a control when one is published. Uses a new
 * session number (the current time in ms), so earlier runs never interfere.
 */
export async function runCollectorSuite(options: CollectorSuiteOptions): Promise<Outcome[]> {
  const { site, agent, timeoutMs } = options;
  const say = options.progress ?? (() => undefined);
  const results = new Results(COLLECTOR_REQUIREMENTS);
  const session = Date.now();
  const stateMsg = (online: boolean, s: number) => encode('state', site, agent, { v: 1, site, agent, online, session: s, ts: Date.now() });
  const kit = await Observer.connect(options.broker, options.clientId, { will: { topic: stateMsg(false, session).topic, payload: stateMsg(false, session).payload, qos: 1, retain: true } });
  const T = { ack: agentTopic(site, agent, 'telemetry/ack'), telemetry: agentTopic(site, agent, 'telemetry'), control: agentTopic(site, agent, 'control') };
  const ackOf = (s: Seen) => (s.topic === T.ack && s.result.ok && s.result.message.kind === 'telemetry/ack' ? s.result.message.payload : null);
  const waitAck = (sess: number, seq: number, from: number, ms = timeoutMs) => kit.waitFor((s) => { const a = ackOf(s); return a !== null && a.session === sess && a.seq >= seq; }, ms, from);
  const highestAck = (sess: number, from: number) => Math.max(0, ...kit.seen.slice(from).map(ackOf).filter((a) => a && a.session === sess).map((a) => a!.seq));
  const sampleBody = (s: number, seq: number) => ({
    v: 1 as const, site, agent, session: s, seq,
    samples: [{ ts: Date.now(), meterKw: 12.5, meterKwh: 1000 + seq, minerKw: 12, counts: { hashing: 4, idle: 0, sleeping: 0, offline: 0, error: 0, total: 4 }, hashrateThs: 400, revision: null }],
  });
  const telemetry = (s: number, seq: number, extra: Record<string, unknown> = {}) => {
    const m = encode('telemetry', site, agent, { ...sampleBody(s, seq), ...extra });
    return kit.publish(m.topic, m.payload, false);
  };
  const announce = async (s: number) => {
    const st = stateMsg(true, s);
    await kit.publish(st.topic, st.payload, true);
    const b = encode('birth', site, agent, {
      v: 1, site, agent, session: s, ts: Date.now(), agentVersion: 'conformance-kit', agentClock: Date.now(),
      miners: { total: 4, byModel: [{ make: 'Bitmain', model: 'Antminer S19', firmware: 'antminer', count: 4, nominalKw: 13 }] }, nameplateKw: 13,
      meter: { present: true }, curtail: { modes: ['max_kw', 'none'], strategies: ['least_efficient_first'], levels: ['sleep'], sleepCapable: 4, powerTargetCapable: 0 },
    });
    await kit.publish(b.topic, b.payload, true);
  };

  try {
    await kit.subscribe([COLLECTOR_STATE_TOPIC, T.ack, T.control]);
    say('waiting for the collector state');
    const cs = await kit.waitFor((s) => s.topic === COLLECTOR_STATE_TOPIC && s.result.ok && s.json?.online === true, timeoutMs);
    if (cs) results.pass('COLLECTOR-STATE', `online${cs.retained ? ', retained' : ''}${cs.json?.instance ? `, instance ${String(cs.json.instance)}` : ''}`);
    else results.fail('COLLECTOR-STATE', `no valid retained state online: true on ${COLLECTOR_STATE_TOPIC} within ${timeoutMs} ms`);

    await announce(session);
    let mark = kit.mark;
    for (const seq of [1, 2, 3]) await telemetry(session, seq);
    say(`sent session ${session} seq 1..3`);
    const ack3 = await waitAck(session, 3, mark);
    if (!ack3) {
      results.fail('COLLECTOR-ACK', `no telemetry/ack for session ${session} seq 3 within ${timeoutMs} ms (highest seen: ${highestAck(session, mark) || 'none'})`);
      throw new StopRun();
    }
    results.pass('COLLECTOR-ACK', `ack ${session}/3`);

    // A gap: 5 before 4. The ack must stay at 3 until 4 arrives.
    mark = kit.mark;
    await telemetry(session, 5);
    const early = await waitAck(session, 4, mark, options.gapWindowMs);
    if (early) results.fail('COLLECTOR-GAP', `acked seq ${ackOf(early)!.seq} while seq 4 was missing`);
    await telemetry(session, 4);
    const ack5 = await waitAck(session, 5, mark);
    if (!ack5) results.fail('COLLECTOR-GAP', `no ack for seq 5 within ${timeoutMs} ms after the gap at 4 was filled`);
    else results.pass('COLLECTOR-GAP', `no ack past 3 for ${options.gapWindowMs} ms with seq 4 missing, then ack 5`);

    // A duplicate redelivery, then the next message.
    mark = kit.mark;
    await telemetry(session, 2, { historical: true });
    await telemetry(session, 6);
    const ack6 = await waitAck(session, 6, mark);
    if (ack6) results.pass('COLLECTOR-DUPLICATE', 'seq 2 sent again (historical), then ack 6');
    else results.fail('COLLECTOR-DUPLICATE', `no ack for seq 6 within ${timeoutMs} ms after a duplicate of seq 2`);

    // Refusals: none of these may be acked or stop ingestion.
    mark = kit.mark;
    await kit.publish(T.telemetry, 'not json {', false);
    await kit.publish(T.telemetry, JSON.stringify({ v: 1, site, agent, session, seq: 7, samples: [{ ts: Date.now() }] }), false);
    const otherSite = `${site.slice(0, 40)}-other`;
    const foreign = encode('telemetry', otherSite, agent, { ...sampleBody(session, 7), site: otherSite });
    await kit.publish(T.telemetry, foreign.payload, false);
    await telemetry(session, 7);
    const ack7 = await waitAck(session, 7, mark);
    const acked8 = highestAck(session, mark) > 7;
    if (ack7 && !acked8) results.pass('COLLECTOR-REFUSAL', 'not JSON, a schema error and an identity mismatch refused; valid seq 7 then acked');
    else results.fail('COLLECTOR-REFUSAL', ack7 ? 'acked a seq nobody sent validly' : `no ack for a valid seq 7 within ${timeoutMs} ms after invalid messages`);

    // A new session starts at 1.
    const next = session + 1;
    await announce(next);
    mark = kit.mark;
    await telemetry(next, 1);
    const ackNew = await waitAck(next, 1, mark);
    if (ackNew) results.pass('COLLECTOR-SESSION', `ack ${next}/1`);
    else results.fail('COLLECTOR-SESSION', `no ack for session ${next} seq 1 within ${timeoutMs} ms`);

    // A report takes seq 2 of the session; telemetry seq 3 must then be acked without waiting out a gap.
    mark = kit.mark;
    const report = encode('control/report', site, agent, { v: 1, site, agent, revision: 1, status: 'received', ts: Date.now(), session: next, seq: 2 });
    await kit.publish(report.topic, report.payload, false);
    await telemetry(next, 3);
    const ackAfterReport = await waitAck(next, 3, mark);
    if (ackAfterReport) results.pass('COLLECTOR-REPORT-SEQ', `report as seq 2, then ack ${next}/3`);
    else results.fail('COLLECTOR-REPORT-SEQ', `no ack for seq 3 within ${timeoutMs} ms after a report took seq 2 (highest ack ${highestAck(next, mark) || 'none'}): the report's seq is not counted`);

    // A control, when the collector has published one for this agent.
    const control = kit.on(T.control).find((s) => s.bytes.length > 0);
    if (!options.publicKey) results.set('COLLECTOR-CONTROL-SIGNATURE', 'skip', 'no --public-key given');
    else if (!control) results.set('COLLECTOR-CONTROL-SIGNATURE', 'skip', `no control on ${T.control} (create a curtailment event covering site ${site} to check one)`);
    else if (!control.result.ok) results.fail('COLLECTOR-CONTROL-SIGNATURE', `control refused by the codec: ${control.result.error.reason}: ${control.result.error.message}`);
    else {
      const v = verifyPayload(control.json!, [options.publicKey]);
      if (v.ok) results.pass('COLLECTOR-CONTROL-SIGNATURE', `revision ${String(control.json!.revision)} verifies (key ${v.keyId})`);
      else results.fail('COLLECTOR-CONTROL-SIGNATURE', `${v.reason}: ${v.message}`);
    }
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
  } finally {
    const off = stateMsg(false, session + 1);
    await kit.publish(off.topic, off.payload, true).catch(() => undefined);
    await kit.close();
  }
  return results.all();
}
