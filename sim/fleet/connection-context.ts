import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/log/logger.js';
import type { EmulatedMiner } from '../emulated-miner.js';

/**
 * What every port handler shares: the sockets and timers in flight (so stop()
 * can end them), the slow-fault delay and a logger. Socket-level faults are
 * applied here, before any personality sees the request, because on real
 * hardware they happen below the firmware's API code.
 */
export class ConnectionContext {
  readonly sockets = new Set<Socket>();
  /** Connections accepted since start, for benchmarks and the admin endpoint. */
  accepted = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly log: Logger,
    /** How long a `slow` miner waits before answering; above a typical 2–3 s deadline. */
    readonly slowDelayMs: number,
    /** A connection that stays silent this long is dropped (a hung miner's too). */
    readonly idleTimeoutMs: number,
  ) {}

  track(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {
      // Clients hang up mid-reply all the time (deadlines); nothing to do.
    });
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy());
  }

  /**
   * Applies hung / garbage / refuse. Returns true when the fault took the
   * connection over and the port handler must not answer.
   */
  applySocketFault(socket: Socket, miner: EmulatedMiner): boolean {
    const { faults } = miner;
    if (faults.refuse) {
      // The listener is being closed; connections that raced in get a reset.
      socket.resetAndDestroy();
      return true;
    }
    if (faults.hung) {
      socket.on('data', () => {}); // accept and swallow, never answer
      socket.on('end', () => socket.destroy()); // the client gave up: free the descriptor
      return true;
    }
    if (faults.garbage) {
      socket.on('data', () => {});
      socket.end(randomBytes(64 + Math.floor(Math.random() * 448)));
      return true;
    }
    return false;
  }

  /** Runs `fn` now, or after the slow delay when the miner is slow; skipped if the socket died meanwhile. */
  answer(socket: Socket, miner: EmulatedMiner, fn: () => void): void {
    if (!miner.faults.slow) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!socket.destroyed) fn();
    }, this.slowDelayMs);
    this.timers.add(timer);
  }

  closeAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
