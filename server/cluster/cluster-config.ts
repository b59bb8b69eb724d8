import { z } from 'zod';

/**
 * `cluster:` in the collector config: how the collectors sharing one database
 * choose the one leader (docs/architecture.md, "Leader and fencing").
 *
 * The leader steps down by itself `renewS` before its lease could expire, so
 * the lease must leave room for at least two renewals before that point
 * (renewS ≤ leaseTtlS / 3); a takeover after a crash takes at most
 * leaseTtlS + renewS (13 s with the defaults).
 */
export const ClusterConfigSchema = z
  .object({
    /** Name of the lease row: collectors with the same name compete for one leadership. */
    name: z.string().min(1).max(200).default('hashwatt'),
    /** How long a lease lasts without a renewal, measured by the database clock. */
    leaseTtlS: z.number().finite().positive().max(300).default(10),
    /** How often the leader renews and followers try to take over. */
    renewS: z.number().finite().positive().max(100).default(3),
  })
  .refine((c) => c.renewS * 3 <= c.leaseTtlS, {
    message: 'cluster.renewS must be at most a third of cluster.leaseTtlS, so a leader gets two renewals before it must step down',
    path: ['renewS'],
  });
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** The config fragment with every default, for the coordinator's schema and for tests. */
export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = ClusterConfigSchema.parse({});

/**
 * Seconds after a renewal was sent by which the leader stops acting as leader
 * when no later renewal succeeded. The database clock starts the lease no
 * earlier than the send, so this is still `renewS` before the lease can expire
 * and anyone else can take it: two leaders never act at once.
 */
export function stepDownAfterS(config: ClusterConfig): number {
  return config.leaseTtlS - config.renewS;
}
