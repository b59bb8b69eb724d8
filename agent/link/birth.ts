import { CURTAIL_MODES, CURTAIL_STRATEGIES, type Birth } from '../../shared/protocol/index.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { ManagedMiner } from '../poll/managed-miner.js';

/** The retained birth: inventory by model/firmware and what this agent can do. */
export function buildBirth(config: AgentConfig, session: number, miners: readonly ManagedMiner[], agentVersion: string, now: number, pollIntervalS: number | undefined): Birth {
  const groups = new Map<string, Birth['miners']['byModel'][number]>();
  let nameplateW = 0;
  let sleepCapable = 0;
  let powerTargetCapable = 0;
  for (const m of miners) {
    const r = m.reading;
    const make = (r?.make ?? 'unknown').slice(0, 64);
    const model = (r?.model ?? 'unknown').slice(0, 64);
    const firmware = (m.driver?.firmware ?? 'unknown').slice(0, 64);
    const key = `${make}\u0000${model}\u0000${firmware}`;
    const w = m.lastHashing?.w ?? 0;
    nameplateW += w;
    const g = groups.get(key) ?? { make, model, firmware, count: 0, nominalKw: 0 };
    g.count++;
    g.nominalKw = Math.round((g.nominalKw + w / 1000) * 1000) / 1000;
    groups.set(key, g);
    const caps = m.driver?.capabilities();
    if (caps?.sleep) sleepCapable++;
    if (caps?.powerTarget) powerTargetCapable++;
  }
  return {
    v: 1,
    site: config.site,
    agent: config.agent,
    session,
    ts: now,
    agentVersion,
    agentClock: now,
    miners: { total: miners.length, byModel: [...groups.values()].slice(0, 500) },
    nameplateKw: Math.round(nameplateW) / 1000,
    meter: config.meter ? { present: true, driver: config.meter.driver, ...(config.meter.preset ? { preset: config.meter.preset } : {}) } : { present: false },
    curtail: { modes: [...CURTAIL_MODES], strategies: [...CURTAIL_STRATEGIES], levels: powerTargetCapable > 0 ? ['sleep', 'power_target'] : ['sleep'], sleepCapable, powerTargetCapable },
    ...(pollIntervalS ? { pollIntervalS } : {}),
    ...(config.location ? { location: config.location } : {}),
  };
}
