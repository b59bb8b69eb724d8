import { AppError, isAppError } from '../../../../shared/errors.js';
import { cgminerCommand, type CgminerResponse, type CgminerTarget } from '../transport/cgminer-client.js';
import { parseLuxosSession } from './luxos-parsers.js';

/**
 * LUXminer's write commands take a session id as their first parameter
 * (docs.luxor.tech/firmware/api/sessions): `logon` creates one, only one may
 * exist at a time, and it expires after one minute without use (each use
 * refreshes it). Sessions coordinate cooperating tools, they are not security,
 * so when another client holds the session we reuse it (its id is in the
 * `logon` error, or `session` returns it) rather than fail a curtailment.
 */

/** Reuse a cached id only while comfortably inside LuxOS's 60 s idle expiry. */
const REUSE_WINDOW_MS = 45_000;

export class LuxosSession {
  private sessionId: string | undefined;
  private lastUsedAt = 0;

  constructor(
    private readonly target: CgminerTarget,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs a session-protected command (`curtail`, `profileset`, `atmset`), re-acquiring the session once if the miner says it is stale. */
  async command(command: string, args: string): Promise<CgminerResponse> {
    for (let attempt = 0; ; attempt++) {
      const sid = await this.acquire();
      try {
        const reply = await cgminerCommand(this.target, command, args === '' ? sid : `${sid},${args}`);
        this.lastUsedAt = this.now();
        return reply;
      } catch (err) {
        if (isAppError(err, 'MINER_ERROR') && isSessionProblem(err.message) && attempt === 0) {
          this.sessionId = undefined;
          continue;
        }
        throw asAuthError(err);
      }
    }
  }

  /** The session id to use now: cached, else a fresh `logon`, else the session another client holds. */
  async acquire(): Promise<string> {
    if (this.sessionId && this.now() - this.lastUsedAt < REUSE_WINDOW_MS) return this.sessionId;
    this.sessionId = undefined;
    let logonError: unknown;
    try {
      const sid = parseLuxosSession(await cgminerCommand(this.target, 'logon'));
      if (sid) return this.remember(sid);
    } catch (err) {
      if (!isAppError(err, 'MINER_ERROR')) throw err;
      logonError = err;
      const named = sessionIdInMessage(err.message);
      if (named) return this.remember(named);
    }
    const held = parseLuxosSession(await cgminerCommand(this.target, 'session'));
    if (held) return this.remember(held);
    throw asAuthError(logonError ?? new AppError('PROTOCOL', `${this.target.host}: 'logon' returned no SessionID`));
  }

  /** Forget the cached id (after the miner rebooted, for instance). */
  reset(): void {
    this.sessionId = undefined;
  }

  private remember(sid: string): string {
    this.sessionId = sid;
    this.lastUsedAt = this.now();
    return sid;
  }
}

function isSessionProblem(message: string): boolean {
  return /session/i.test(message);
}

/** Pulls the id out of messages like "Another session is active (SessionID: yJN2nlj1)" or "Session exists: yJN2nlj1". */
export function sessionIdInMessage(message: string): string | undefined {
  if (!/session/i.test(message)) return undefined;
  const candidates = [...message.matchAll(/[(:=]\s*"?([A-Za-z0-9_-]{4,64})"?/g)].map((m) => m[1]!).filter((t) => !/^session(id)?$/i.test(t));
  return candidates.at(-1);
}

function asAuthError(err: unknown): unknown {
  if (isAppError(err, 'MINER_ERROR') && /access denied|not allowed|permission|unauthori[sz]ed|forbidden/i.test(err.message)) {
    return new AppError('AUTH_FAILED', err.message, { cause: err, details: err.details });
  }
  return err;
}
