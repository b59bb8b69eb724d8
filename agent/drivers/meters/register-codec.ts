/**
 * Register words ↔ numbers, pure. Modbus itself only defines 16-bit registers
 * sent high byte first (Modbus Application Protocol v1.1b3 §4.2); how wider
 * values span registers is each vendor's choice, hence `wordOrder`:
 *   'big'    most significant register at the lowest address (Eastron, Schneider)
 *   'little' least significant register first ("word swapped", many PLCs)
 * Bytes inside one register are always big-endian.
 */
import { AppError } from '../../../shared/errors.js';

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];
export type WordOrder = 'big' | 'little';

export interface ValueFormat {
  type: RegisterType;
  wordOrder: WordOrder;
  /** Multiplies the raw register value into the reading's unit (kW, kWh). */
  scale: number;
}

const WORDS: Record<RegisterType, 1 | 2 | 4> = {
  int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4,
};

/** How many 16-bit registers a value of this type occupies. */
export function registerCount(type: RegisterType): 1 | 2 | 4 {
  return WORDS[type];
}

export type DecodeResult = { ok: true; value: number } | { ok: false; reason: string };

/**
 * Decodes registers as read (lowest address first) into a scaled number.
 * Never throws: a meter that answers NaN (Eastron does while booting), an
 * infinity or the wrong number of words gives a reason instead of a number.
 */
export function decodeRegisters(words: readonly number[], format: ValueFormat): DecodeResult {
  const count = WORDS[format.type];
  if (words.length !== count) {
    return { ok: false, reason: `expected ${count} register(s) for ${format.type}, got ${words.length}` };
  }
  const bytes = new DataView(new ArrayBuffer(count * 2));
  const ordered = format.wordOrder === 'little' ? [...words].reverse() : words;
  for (let i = 0; i < count; i++) {
    const w = ordered[i]!;
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) return { ok: false, reason: `register word ${w} is not a 16-bit value` };
    bytes.setUint16(i * 2, w);
  }
  const raw = readRaw(bytes, format.type);
  if (Number.isNaN(raw)) return { ok: false, reason: `${format.type} value is NaN` };
  if (!Number.isFinite(raw)) return { ok: false, reason: `${format.type} value is infinite` };
  const value = raw * format.scale;
  if (!Number.isFinite(value)) return { ok: false, reason: `scaled value ${raw} × ${format.scale} is not finite` };
  return { ok: true, value };
}

function readRaw(view: DataView, type: RegisterType): number {
  switch (type) {
    case 'int16': return view.getInt16(0);
    case 'uint16': return view.getUint16(0);
    case 'int32': return view.getInt32(0);
    case 'uint32': return view.getUint32(0);
    case 'float32': return view.getFloat32(0);
    // Energy counters in Wh stay far below 2^53, so Number keeps them exact.
    case 'int64': return Number(view.getBigInt64(0));
    case 'uint64': return Number(view.getBigUint64(0));
    case 'float64': return view.getFloat64(0);
  }
}

/**
 * The inverse of decodeRegisters, for the emulated meter: a value in the
 * reading's unit becomes the registers a real meter would serve. Throws
 * PROTOCOL when the value cannot be represented in the type.
 */
export function encodeRegisters(value: number, format: ValueFormat): number[] {
  if (!Number.isFinite(value)) throw new AppError('PROTOCOL', `cannot encode ${value} as ${format.type}`);
  if (format.scale === 0 || !Number.isFinite(format.scale)) throw new AppError('PROTOCOL', `scale ${format.scale} cannot be inverted`);
  const raw = value / format.scale;
  const count = WORDS[format.type];
  const view = new DataView(new ArrayBuffer(count * 2));
  writeRaw(view, format.type, raw);
  const words: number[] = [];
  for (let i = 0; i < count; i++) words.push(view.getUint16(i * 2));
  return format.wordOrder === 'little' ? words.reverse() : words;
}

const INT_RANGES: Partial<Record<RegisterType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

function writeRaw(view: DataView, type: RegisterType, raw: number): void {
  const range = INT_RANGES[type];
  const int = Math.round(raw);
  if (range && (int < range[0] || int > range[1])) {
    throw new AppError('PROTOCOL', `${raw} is out of range for ${type}`);
  }
  switch (type) {
    case 'int16': return view.setInt16(0, int);
    case 'uint16': return view.setUint16(0, int);
    case 'int32': return view.setInt32(0, int);
    case 'uint32': return view.setUint32(0, int);
    case 'float32': return view.setFloat32(0, raw);
    case 'int64': return view.setBigInt64(0, BigInt(int));
    case 'uint64': return view.setBigUint64(0, BigInt(int));
    case 'float64': return view.setFloat64(0, raw);
  }
}
