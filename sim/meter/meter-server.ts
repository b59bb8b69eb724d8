/**
 * The emulated site meter (docs/decisions.md#emulator): a real Modbus TCP server serving one
 * preset's registers, with values read live from the emulated fleet on every
 * request. Encoding uses the same presets and codec as the agent's driver, so
 * what the driver decodes is what a real meter of that model would send; the
 * pymodbus interop test checks that codec against a server we did not write.
 */
import { encodeRegisters, registerCount } from '../../agent/drivers/meters/register-codec.js';
import { presetMap, type MeterPresetName } from '../../agent/drivers/meters/presets.js';
import type { RegisterMap } from '../../agent/drivers/meters/register-map.js';
import { EXCEPTION, startModbusTcpServer, type ServerFault } from './modbus-tcp-server.js';

export interface MeterServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Unit id the meter answers to (also 255, "this device", per the TCP implementation guide). Default 1. */
  unitId?: number;
  preset: MeterPresetName;
  readPowerW: () => number;
  readImportKwh: () => number;
}

export interface MeterServer {
  readonly host: string;
  readonly port: number;
  /** Inject a fault: 'hang' answers nothing, 'close' drops the connection; 'none' restores. */
  setFault(fault: ServerFault): void;
  stop(): Promise<void>;
}

export async function startModbusMeterServer(options: MeterServerOptions): Promise<MeterServer> {
  const unitId = options.unitId ?? 1;
  const map: RegisterMap = presetMap(options.preset);
  const quantities = [
    { spec: map.powerKw, value: () => options.readPowerW() / 1000 },
    { spec: map.importKwh, value: () => options.readImportKwh() },
  ].filter((q): q is { spec: NonNullable<typeof q.spec>; value: () => number } => q.spec !== undefined);

  return startModbusTcpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    read(fn, requestUnit, address, count) {
      // A TCP gateway answers 0x0B when the serial device behind it is absent.
      if (requestUnit !== unitId && requestUnit !== 0xff) return { exception: EXCEPTION.GATEWAY_TARGET_FAILED };
      const words: number[] = [];
      for (let a = address; a < address + count; ) {
        const q = quantities.find((x) => x.spec.function === fn && a >= x.spec.register && a < x.spec.register + registerCount(x.spec.type));
        // Real meters refuse reads of registers they do not implement.
        if (!q) return { exception: EXCEPTION.ILLEGAL_DATA_ADDRESS };
        const encoded = encodeRegisters(q.value(), q.spec);
        const from = a - q.spec.register;
        const take = Math.min(encoded.length - from, address + count - a);
        words.push(...encoded.slice(from, from + take));
        a += take;
      }
      return words;
    },
  });
}
