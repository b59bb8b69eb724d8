/**
 * A small Modbus TCP server on node:net: MBAP framing and function codes 03/04,
 * which is all a meter needs. Written here rather than taken from modbus-serial's
 * ServerTCP so that the agent's client (modbus-serial) and this server are two
 * independent implementations of the protocol: a shared framing bug cannot hide,
 * and faults (hung meter, exceptions) are ours to inject.
 *
 * References: MODBUS Messaging on TCP/IP Implementation Guide v1.0b §3.1.3 (MBAP
 * header), MODBUS Application Protocol v1.1b3 §6.3/§6.4 (functions 03/04) and
 * §7 (exception codes).
 */
import { createServer, type Server, type Socket } from 'node:net';

export const EXCEPTION = {
  ILLEGAL_FUNCTION: 0x01,
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  SERVER_DEVICE_FAILURE: 0x04,
  GATEWAY_TARGET_FAILED: 0x0b,
} as const;

/** Returns the registers asked for, or an exception code. */
export type RegisterReader = (fn: 3 | 4, unitId: number, address: number, count: number) => number[] | { exception: number };

export type ServerFault = 'none' | 'hang' | 'close';

export interface ModbusTcpServer {
  readonly host: string;
  readonly port: number;
  /** 'hang': accept and read requests but never answer; 'close': drop each connection on its first request. */
  setFault(fault: ServerFault): void;
  stop(): Promise<void>;
}

const MBAP_LENGTH = 7;
/** Application Protocol §6.3: 1..125 registers per read. */
const MAX_READ_COUNT = 125;
/** MBAP length field covers unit id + PDU, and a PDU is at most 253 bytes. */
const MAX_FRAME_LENGTH = 254;

export async function startModbusTcpServer(options: { host: string; port: number; read: RegisterReader }): Promise<ModbusTcpServer> {
  let fault: ServerFault = 'none';
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= MBAP_LENGTH) {
        const protocolId = pending.readUInt16BE(2);
        const length = pending.readUInt16BE(4);
        // Not Modbus (or a desynchronised stream): nothing sensible to answer.
        if (protocolId !== 0 || length < 2 || length > MAX_FRAME_LENGTH) {
          socket.destroy();
          return;
        }
        if (pending.length < 6 + length) return;
        const frame = pending.subarray(0, 6 + length);
        pending = pending.subarray(6 + length);
        if (fault === 'hang') continue;
        if (fault === 'close') {
          socket.destroy();
          return;
        }
        socket.write(answer(frame, options.read));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    host: options.host,
    port,
    setFault(next) {
      fault = next;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Builds the response frame (MBAP + PDU) for one request frame. */
export function answer(frame: Buffer, read: RegisterReader): Buffer {
  const transactionId = frame.readUInt16BE(0);
  const unitId = frame.readUInt8(6);
  const fn = frame.readUInt8(7);
  const reply = (pdu: Buffer): Buffer => {
    const head = Buffer.alloc(MBAP_LENGTH);
    head.writeUInt16BE(transactionId, 0);
    head.writeUInt16BE(0, 2);
    head.writeUInt16BE(pdu.length + 1, 4);
    head.writeUInt8(unitId, 6);
    return Buffer.concat([head, pdu]);
  };
  const exception = (code: number) => reply(Buffer.from([fn | 0x80, code]));

  if (fn !== 3 && fn !== 4) return exception(EXCEPTION.ILLEGAL_FUNCTION);
  if (frame.length !== MBAP_LENGTH + 5) return exception(EXCEPTION.ILLEGAL_DATA_VALUE);
  const address = frame.readUInt16BE(8);
  const count = frame.readUInt16BE(10);
  if (count < 1 || count > MAX_READ_COUNT) return exception(EXCEPTION.ILLEGAL_DATA_VALUE);
  if (address + count > 0x10000) return exception(EXCEPTION.ILLEGAL_DATA_ADDRESS);

  let result: ReturnType<RegisterReader>;
  try {
    result = read(fn, unitId, address, count);
  } catch {
    return exception(EXCEPTION.SERVER_DEVICE_FAILURE);
  }
  if (!Array.isArray(result)) return exception(result.exception);
  if (result.length !== count) return exception(EXCEPTION.SERVER_DEVICE_FAILURE);
  const pdu = Buffer.alloc(2 + count * 2);
  pdu.writeUInt8(fn, 0);
  pdu.writeUInt8(count * 2, 1);
  result.forEach((word, i) => pdu.writeUInt16BE(word & 0xffff, 2 + i * 2));
  return reply(pdu);
}
