import type { FastifyRequest } from 'fastify';
import type { Principal } from '../http/auth.js';
import type { ActorKind, AuditEntry } from '../store/audit-repository.js';
import type { StoreRepositories } from '../store/store-port.js';

/** Who did something: a user, a service token, the compliance engine, the CLI on the host, or the collector itself. */
export interface Actor {
  kind: ActorKind;
  name: string;
  ip?: string | null;
}

/** Every action the audit log records (docs/operations.md lists what each carries). */
export const AUDIT_ACTIONS = [
  'event.create', 'event.cancel',
  'site.create', 'site.update', 'site.register', 'site.flagged', 'company.create', 'company.update', 'company.delete',
  'user.create', 'user.update', 'token.create', 'token.rotate', 'token.revoke',
  'session.sign_in', 'session.sign_in_failed', 'session.sign_out',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | `${string}.${string}`;

export const COMPLIANCE_ACTOR: Actor = { kind: 'compliance', name: 'compliance' };
export const SYSTEM_ACTOR: Actor = { kind: 'system', name: 'collector' };
/** Sites seeded from the collector YAML at start. */
export const CONFIG_ACTOR: Actor = { kind: 'system', name: 'config' };

/** The actor behind an API request. */
export function actorOf(principal: Principal | undefined, req: FastifyRequest): Actor {
  return { kind: principal?.kind ?? 'system', name: principal?.name ?? 'anonymous', ip: req.ip };
}

/**
 * The append-only audit log: who (user, service token, `compliance`), when,
 * from where, what, and the state before and after. A caller that changes
 * something in a store transaction passes its `tx`, so the action and its
 * entry commit (or roll back) together.
 */
export function createAuditLog(repo: StoreRepositories['audit'], clock: () => number, onAppend?: (e: AuditEntry) => void) {
  return {
    async record(actor: Actor, action: AuditAction, what: { site?: string | null; target?: string | null; before?: unknown; after?: unknown } = {}, tx?: StoreRepositories): Promise<void> {
      const entry = {
        ts: clock(), actorKind: actor.kind, actor: actor.name, ip: actor.ip ?? null, action,
        site: what.site ?? null, target: what.target ?? null, before: what.before ?? null, after: what.after ?? null,
      };
      const id = await (tx?.audit ?? repo).append(entry);
      onAppend?.({ id, ...entry });
    },
    list: repo.list,
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
