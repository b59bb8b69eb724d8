/**
 * PostgreSQL tables of the leader lease and of the fenced control revision,
 * as one migration text for the PostgreSQL store's numbered migrations.
 * Idempotent (IF NOT EXISTS), so applying it twice is harmless.
 *
 * leader_lease: one row per leadership name. `epoch` grows by one on every
 * acquisition (a new holder, or the same holder again after losing it), so it
 * orders leaderships; `expires_at` is set from the database clock only.
 *
 * control_revision: the one global control revision counter (agents refuse a
 * revision they have already seen, so it never goes back), with the epoch of
 * the leader that last reserved from it.
 */
export const LEADER_LEASE_DDL = `
CREATE TABLE IF NOT EXISTS leader_lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL CHECK (epoch > 0),
  expires_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS control_revision (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_revision bigint NOT NULL CHECK (last_revision >= 0),
  epoch bigint NOT NULL CHECK (epoch > 0)
);
`;
