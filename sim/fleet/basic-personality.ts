import type { FirmwareName } from '../../agent/drivers/miners/miner-driver.js';
import type { EmulatedMiner, Personality } from '../emulated-miner.js';

/**
 * A deliberately plain cgminer-family personality: enough for the core's own
 * tests and benchmarks of the sockets without depending on any one firmware's
 * wire shapes (those live in sim/personalities/). `summary` carries Power the
 * way Whatsminer does; `pause`/`resume` follow BOSminer.
 */
export function basicPersonality(firmware: FirmwareName = 'braiins'): Personality {
  return {
    firmware,
    cgminer(miner: EmulatedMiner, request: Record<string, unknown>): string {
      const when = Math.floor(Date.now() / 1000);
      const ok = (msg: string, extra: Record<string, unknown> = {}) =>
        JSON.stringify({ STATUS: [{ STATUS: 'S', When: when, Code: 11, Msg: msg, Description: 'hashwatt-sim' }], ...extra, id: 1 });
      const s = miner.snapshot();
      switch (request.command) {
        case 'summary':
          return ok('Summary', {
            SUMMARY: [{ Elapsed: s.uptimeS, 'MHS av': s.hashrateThs * 1e6, 'MHS 5s': s.hashrateThs * 1e6, Power: s.powerW, Phase: s.phase }],
          });
        case 'version':
          return ok('CGMiner versions', { VERSION: [{ CGMiner: '4.11.1', API: '3.7', Type: miner.spec.model }] });
        case 'pause':
          miner.requestSleep();
          return ok('Pausing');
        case 'resume':
          miner.requestWake();
          return ok('Resuming');
        default:
          return JSON.stringify({ STATUS: [{ STATUS: 'E', When: when, Code: 14, Msg: 'Invalid command', Description: 'hashwatt-sim' }], id: 1 });
      }
    },
  };
}
