/**
 * Modbus TCP meter driver: the transport is modbus-serial's TCP client, the
 * parsing is register-codec.ts, and this file adds what a poller needs from a
 * meter: one deadline per read (connect included), reconnect after any
 * transport failure, never two reads on the wire at once, and a reading with
 * nulls and a reason instead of an exception.
 */
import modbusSerial from 'modbus-serial';
import { describeError } from '../../../../shared/errors.js';
import type { ModbusTcpMeterConfig } from '../meter-config.js';
import type { MeterDriver, MeterDriverContext, MeterReading } from '../meter-driver.js';
import { presetMap } from '../presets.js';
import { decodeRegisters, registerCount } from '../register-codec.js';
import { METER_QUANTITIES, type MeterQuantity, type RegisterMap, type RegisterSpec } from '../register-map.js';

// modbus-serial is CommonJS: under NodeNext the default import is module.exports,
// whose typed `default` is the client class (index.js sets it to itself).
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

/** Thrown inside a read when the deadline passes; the connection is then dropped. */
class DeadlineError extends Error {}

export function createModbusTcpMeter(config: ModbusTcpMeterConfig, context: MeterDriverContext): MeterDriver {
  const now = context.now ?? Date.now;
  const endpoint = `${config.host}:${config.port}`;
  // The caller's logger already names the component ({ component: 'meter' }).
  const log = context.log.child({ driver: 'modbus-tcp', endpoint });
  const map: RegisterMap = config.preset ? presetMap(config.preset) : config.map!;
  const quantities = METER_QUANTITIES.flatMap((q) => (map[q] ? [{ quantity: q, spec: map[q]! }] : []));

  let client: Client | null = null;
  let inFlight: Promise<MeterReading> | null = null;
  let stopped = false;
  let lastError: string | undefined;

  function drop(): void {
    const old = client;
    client = null;
    if (!old) return;
    // destroy, not close: a hung peer would never complete a graceful FIN exchange.
    try {
      old.destroy(() => {});
    } catch {
      // already torn down
    }
  }

  async function connect(): Promise<Client> {
    if (client?.isOpen) return client;
    drop();
    const next = new ModbusRTU();
    // modbus-serial re-emits socket errors after open; unhandled they would crash the agent.
    next.on('error', (err: unknown) => {
      log.debug({ err }, 'meter socket error');
      if (client === next) drop();
    });
    next.on('close', () => {
      if (client === next) client = null;
    });
    client = next;
    await next.connectTCP(config.host, { port: config.port });
    return next;
  }

  async function readQuantity(c: Client, spec: RegisterSpec, remainingMs: number): Promise<number[]> {
    c.setID(spec.unitId ?? config.unitId);
    // Only a backstop: our own deadline fires first and gives the uniform reason.
    c.setTimeout(Math.max(1, remainingMs) + 1000);
    const count = registerCount(spec.type);
    const result = spec.function === 4 ? await c.readInputRegisters(spec.register, count) : await c.readHoldingRegisters(spec.register, count);
    return result.data;
  }

  async function readOnce(): Promise<MeterReading> {
    const readAt = now();
    const deadline = Date.now() + config.timeoutMs;
    const values: Record<MeterQuantity, number | null> = { powerKw: null, importKwh: null };
    const errors: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`no answer within ${config.timeoutMs} ms`)), config.timeoutMs);
    });
    expired.catch(() => {});
    try {
      let c: Client;
      try {
        c = await Promise.race([connect(), expired]);
      } catch (err) {
        drop();
        errors.push(err instanceof DeadlineError ? `cannot connect to ${endpoint}: ${err.message}` : `cannot connect to ${endpoint}: ${describe(err)}`);
        return reading(readAt, values, errors);
      }
      for (const { quantity, spec } of quantities) {
        let words: number[];
        try {
          words = await Promise.race([readQuantity(c, spec, deadline - Date.now()), expired]);
        } catch (err) {
          if (isModbusException(err)) {
            // The meter answered, so the connection is fine: only this quantity is missing.
            errors.push(`${quantity} (function ${spec.function} register ${spec.register}): ${describe(err)}`);
            continue;
          }
          drop();
          errors.push(`${quantity}: ${err instanceof DeadlineError ? err.message : describe(err)}`);
          break;
        }
        const decoded = decodeRegisters(words, spec);
        if (decoded.ok) values[quantity] = decoded.value;
        else errors.push(`${quantity} (register ${spec.register}): ${decoded.reason}`);
      }
      return reading(readAt, values, errors);
    } finally {
      clearTimeout(timer);
    }
  }

  function reading(readAt: number, values: Record<MeterQuantity, number | null>, errors: string[]): MeterReading {
    const error = errors.length ? errors.join('; ') : undefined;
    if (error && error !== lastError) log.warn({ error }, 'meter read failed');
    else if (!error && lastError) log.info('meter read recovered');
    else log.debug({ ...values, error }, 'meter read');
    lastError = error;
    return error ? { ...values, readAt, error } : { ...values, readAt };
  }

  return {
    driver: 'modbus-tcp',
    endpoint,
    async start() {
      stopped = false;
      await this.read();
    },
    read() {
      if (stopped) return Promise.resolve({ powerKw: null, importKwh: null, readAt: now(), error: 'meter driver is stopped' });
      // Never two reads on one connection: a second caller shares the read in flight.
      inFlight ??= readOnce().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    async stop() {
      stopped = true;
      await inFlight;
      drop();
    },
  };
}

function isModbusException(err: unknown): boolean {
  return typeof err === 'object' && err !== null && typeof (err as { modbusCode?: unknown }).modbusCode === 'number';
}

/** modbus-serial rejects with plain objects ({ name, message, errno }) as well as Errors. */
function describe(err: unknown): string {
  if (!(err instanceof Error) && typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return describeError(err);
}
