import assert from 'node:assert/strict';
import type { AuditInput } from '../audit-repository.js';
import type { ContractCase } from './store-harness.js';

const now = 1_700_000_000_000;
const minute = 60_000;

const entry = (ts: number, extra: Partial<AuditInput> = {}): AuditInput => ({
  ts, actorKind: 'user', actor: 'alice', ip: '10.0.0.1', action: 'site.update', site: null, target: null, before: null, after: null, ...extra,
});

/** Users, their tokens and sessions, and the audit log. */
export const accountCases: ContractCase[] = [
  {
    name: 'accounts: a user is created, found by name and id, and changes role and password',
    async run({ store }) {
      const alice = await store.users.create({ username: 'alice', role: 'operator', passwordHash: 'scrypt$hash' }, now);
      assert.deepEqual(alice, { id: alice.id, username: 'alice', role: 'operator', hasPassword: true, disabledAt: null, createdAt: now, updatedAt: now });
      const bot = await store.users.create({ username: 'bot', role: 'grid', passwordHash: null }, now);
      assert.equal(bot.hasPassword, false);
      await assert.rejects(store.users.create({ username: 'alice', role: 'viewer', passwordHash: null }, now));
      assert.deepEqual(await store.users.get('alice'), alice);
      assert.deepEqual(await store.users.getById(alice.id), alice);
      assert.equal(await store.users.get('nobody'), undefined);
      assert.deepEqual(await store.users.passwordHash('alice'), { user: alice, hash: 'scrypt$hash' });
      await store.users.setRole(alice.id, 'admin', now + 1);
      assert.deepEqual(await store.users.get('alice'), { ...alice, role: 'admin', updatedAt: now + 1 });
      assert.deepEqual((await store.users.list()).map((u) => u.username), ['alice', 'bot']);
    },
  },
  {
    name: 'accounts: a session lives until it expires, its end, a new password or a disabled user',
    async run({ store }) {
      const u = await store.users.create({ username: 'alice', role: 'operator', passwordHash: 'h' }, now);
      await store.users.addSession('s1', u.id, now, now + minute, '10.0.0.1');
      assert.equal((await store.users.bySession('s1', now + 1))?.id, u.id);
      assert.equal(await store.users.bySession('s1', now + minute), undefined);
      await store.users.addSession('s2', u.id, now, now + 10 * minute, null);
      await store.users.endSession('s2');
      assert.equal(await store.users.bySession('s2', now), undefined);
      await store.users.addSession('s3', u.id, now, now + 10 * minute, null);
      await store.users.setPassword(u.id, 'h2', now + 1);
      assert.equal(await store.users.bySession('s3', now + 2), undefined);
      assert.deepEqual(await store.users.passwordHash('alice'), { user: { ...u, updatedAt: now + 1 }, hash: 'h2' });
      await store.users.addSession('s4', u.id, now + 2, now + 10 * minute, null);
      await store.users.setDisabled(u.id, true, now + 3);
      assert.equal(await store.users.bySession('s4', now + 4), undefined);
      assert.equal((await store.users.get('alice'))?.disabledAt, now + 3);
      await store.users.setDisabled(u.id, false, now + 5);
      assert.equal((await store.users.get('alice'))?.disabledAt, null);
      // Expired sessions are dropped when a new one is made: an expired one cannot come back.
      await store.users.addSession('s5', u.id, now + 2 * minute, now + 20 * minute, null);
      assert.equal(await store.users.bySession('s1', now), undefined);
    },
  },
  {
    name: 'accounts: a token finds its user until revoked or the user is disabled; its use is recorded at most once a minute',
    async run({ store }) {
      const u = await store.users.create({ username: 'svc', role: 'grid', passwordHash: null }, now);
      const t = await store.users.addToken(u.id, 'scada', 'sha-1', now);
      assert.deepEqual(t, { id: t.id, userId: u.id, label: 'scada', createdAt: now, lastUsedAt: null, revokedAt: null });
      assert.equal((await store.users.byToken('sha-1', now + 1))?.username, 'svc');
      assert.equal((await store.users.token(t.id))?.lastUsedAt, now + 1);
      await store.users.byToken('sha-1', now + 30_000);
      assert.equal((await store.users.token(t.id))?.lastUsedAt, now + 1);
      await store.users.byToken('sha-1', now + 1 + minute + 1);
      assert.equal((await store.users.token(t.id))?.lastUsedAt, now + minute + 2);
      assert.equal(await store.users.byToken('sha-unknown', now), undefined);
      const t2 = await store.users.addToken(u.id, 'backup', 'sha-2', now);
      assert.deepEqual((await store.users.tokens(u.id)).map((x) => x.label), ['scada', 'backup']);
      assert.equal(await store.users.revokeToken(t.id, now + 2), true);
      assert.equal(await store.users.revokeToken(t.id, now + 3), false);
      assert.equal((await store.users.token(t.id))?.revokedAt, now + 2);
      assert.equal(await store.users.byToken('sha-1', now + 4), undefined);
      await store.users.setDisabled(u.id, true, now + 5);
      assert.equal(await store.users.byToken('sha-2', now + 6), undefined);
      assert.equal((await store.users.token(t2.id))?.revokedAt, now + 5);
      assert.equal(await store.users.token(999_999), undefined);
    },
  },
  {
    name: 'accounts: audit entries read back newest first with their before and after',
    async run({ store }) {
      const first = await store.audit.append(entry(now, { before: { allocationKw: 1 }, after: { allocationKw: 2, tags: ['x'] }, site: 's-a', target: 's-a' }));
      const second = await store.audit.append(entry(now + 1, { actorKind: 'system', actor: 'compliance', ip: null }));
      assert.ok(second > first);
      const list = await store.audit.list({});
      assert.deepEqual(list.map((e) => e.id), [second, first]);
      assert.deepEqual(list[1], { id: first, ...entry(now, { before: { allocationKw: 1 }, after: { allocationKw: 2, tags: ['x'] }, site: 's-a', target: 's-a' }) });
      assert.deepEqual(list[0]!.before, null);
    },
  },
  {
    name: 'accounts: audit entries filter by site (events naming it too), actor, action or action prefix, time and page',
    async run({ store }) {
      const a = await store.audit.append(entry(now, { site: 's-a', action: 'site.update' }));
      const ev = await store.audit.append(entry(now + 1, { action: 'event.create', after: { id: 'e1', sites: ['s-b', 's-a'] } }));
      const evOther = await store.audit.append(entry(now + 2, { action: 'event.cancel', after: { id: 'e2', sites: ['s-c'] } }));
      const user = await store.audit.append(entry(now + 3, { actor: 'bob', action: 'user.create', target: 'carol' }));
      const ids = async (q: Parameters<typeof store.audit.list>[0]) => (await store.audit.list(q)).map((e) => e.id);
      assert.deepEqual(await ids({ site: 's-a' }), [ev, a]);
      assert.deepEqual(await ids({ site: 's-c' }), [evOther]);
      assert.deepEqual(await ids({ actor: 'bob' }), [user]);
      assert.deepEqual(await ids({ action: 'event.' }), [evOther, ev]);
      assert.deepEqual(await ids({ action: 'event.create' }), [ev]);
      assert.deepEqual(await ids({ action: 'event' }), []);
      assert.deepEqual(await ids({ from: now + 1, to: now + 2 }), [evOther, ev]);
      assert.deepEqual(await ids({ beforeId: evOther }), [ev, a]);
      assert.deepEqual(await ids({ limit: 2 }), [user, evOther]);
    },
  },
];
