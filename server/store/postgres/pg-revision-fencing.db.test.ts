import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../shared/log/logger.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { ClusterConfigSchema } from '../../cluster/cluster-config.js';
import { reserveControlRevisions } from '../../cluster/control-revision.js';
import { createPostgresLeaderElection } from '../../cluster/postgres-leader-lease.js';
import { createTestDatabase, postgresSkipReason } from '../contract/pg-test-database.js';
import { createPgEventRepository } from './pg-event-repository.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();

/** Sessions of this database waiting on a lock, other than the one asking. */
async function lockWaiters(store: PostgresStore): Promise<number> {
  const [row] = await store.sql<Array<{ n: number }>>`SELECT COUNT(*) AS n FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`;
  return row!.n;
}

// Two collectors, an old leader still inside its fan-out transaction and a new one
// starting its own: the new one's reservation waits on the revision row until the old
// transaction ends, so revisions are committed in the order they were handed out, and
// a range is handed out again only when the transaction that held it rolled back
// (nothing under it reached the broker: controls are published after the commit).
test('control revisions on PostgreSQL: a second collector waits for the reservation another holds, then follows it; a rolled-back range is reused', { skip }, async () => {
  const database = await createTestDatabase();
  const oldLeader = await openPostgresStore({ url: database.url, max: 2, log });
  const newLeader = await openPostgresStore({ url: database.url, max: 2, log });
  try {
    const reserveOnNew = () => createPgEventRepository(newLeader.sql).reserveRevisions(1);
    for (const outcome of ['commit', 'rollback'] as const) {
      let reserved!: (first: number) => void;
      const heldFirst = new Promise<number>((resolve) => (reserved = resolve));
      let finish!: () => void;
      const finishing = new Promise<void>((resolve) => (finish = resolve));
      const old = oldLeader.sql.begin(async (tx) => {
        reserved(await createPgEventRepository(tx).reserveRevisions(5));
        await finishing;
        if (outcome === 'rollback') throw new Error('deposed');
      });
      const first = await heldFirst;
      let followed: number | undefined;
      const next = reserveOnNew().then((r) => (followed = r));
      await waitFor('the second collector to wait on the revision row', async () => (await lockWaiters(oldLeader)) > 0);
      assert.equal(followed, undefined, 'no revision while another collector holds an uncommitted reservation');
      finish();
      if (outcome === 'commit') {
        await old;
        assert.equal(await next, first + 5);
      } else {
        await assert.rejects(old, /deposed/);
        assert.equal(await next, first);
      }
    }
  } finally {
    await newLeader.close();
    await oldLeader.close();
    await database.drop();
  }
});

// The events repository and the leader's fenced reservation (server/cluster/control-revision.ts)
// draw from one counter: a revision handed out by either is never handed out by the other.
test('control revisions on PostgreSQL: the events repository and the fenced leader reservation share one counter', { skip }, async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, max: 2, log });
  const election = createPostgresLeaderElection({ url: database.url, holder: 'only', cluster: ClusterConfigSchema.parse({ name: 'revisions' }), log });
  try {
    await election.start();
    const term = await waitFor('this collector to lead', () => election.currentTerm());
    const events = createPgEventRepository(store.sql);
    assert.equal(await events.reserveRevisions(2), 1);
    assert.equal(await store.sql.begin((tx) => reserveControlRevisions(tx, term, 3)), 3);
    assert.equal(await events.nextRevision(), 6);
    assert.equal(await store.sql.begin((tx) => reserveControlRevisions(tx, term, 1)), 7);
  } finally {
    await election.stop();
    await store.close();
    await database.drop();
  }
});
