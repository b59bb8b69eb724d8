import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector, TOKENS, type TestCollector } from '../testing/test-collector.js';
import { sample, startTestPublisher } from '../testing/test-publisher.js';

interface Entry { id: number; ts: number; actorKind: string; actor: string; ip: string | null; action: string; site: string | null; target: string | null; before: any; after: any }

const bearer = (token: string) => ({ token: null, headers: { authorization: `Bearer ${token}` } });
const audit = async (tc: TestCollector, query = ''): Promise<Entry[]> => (await tc.api(`/api/v1/audit${query}`, { token: 'viewer' })).body.entries;

async function withCollector(overrides: (prefix: string) => Record<string, unknown>, fn: (tc: TestCollector) => Promise<void>): Promise<void> {
  const prefix = `ac${Math.random().toString(36).slice(2, 8)}`;
  const tc = await startTestCollector(overrides(prefix), { prefix, serveSites: [`${prefix}-a`, `${prefix}-b`] });
  try {
    await fn(tc);
  } finally {
    await tc.stop();
  }
}

test('users: an admin creates users and tokens; each user\'s actions are in the audit log under their name, from their address', { timeout: 60_000 }, async () => {
  await withCollector((p) => ({ sites: [{ id: `${p}-a`, name: 'A', allocationKw: 1000 }] }), async (tc) => {
    const site = `${tc.prefix}-a`;
    const alice = await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'alice', role: 'operator', password: 'correct horse battery' } });
    assert.equal(alice.status, 201, alice.text);
    assert.deepEqual({ username: alice.body.username, role: alice.body.role, hasPassword: alice.body.hasPassword, disabled: alice.body.disabled }, { username: 'alice', role: 'operator', hasPassword: true, disabled: false });
    assert.equal((await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'alice', role: 'viewer' } })).status, 409, 'a name is taken once');
    const weak = await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'weak', role: 'viewer', password: 'short' } });
    assert.equal(weak.status, 400);
    assert.match(weak.body.message, /at least 10 characters/);
    const bad = await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'Bad Name', role: 'wizard' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path).sort(), ['body.role', 'body.username']);

    const tok = await tc.api('/api/v1/users/alice/tokens', { method: 'POST', token: 'admin', body: { label: 'laptop' } });
    assert.equal(tok.status, 201, tok.text);
    assert.match(tok.body.token, /^hwt_[A-Za-z0-9_-]{40,}$/);
    const listed = await tc.api('/api/v1/users', { token: 'admin' });
    assert.ok(!listed.text.includes(tok.body.token), 'the secret is never listed');
    assert.deepEqual(listed.body.users.find((u: { username: string }) => u.username === 'alice').tokens.map((t: { label: string }) => t.label), ['laptop']);

    // Only admin manages users; every other role is refused.
    for (const role of ['viewer', 'operator', 'grid'] as const) assert.equal((await tc.api('/api/v1/users', { token: role })).status, 403, role);
    assert.equal((await tc.api('/api/v1/users', bearer(tok.body.token))).status, 403, 'alice is an operator');

    const me = await tc.api('/api/v1/me', bearer(tok.body.token));
    assert.deepEqual(me.body, { name: 'alice', role: 'operator', kind: 'user', via: 'token' });

    // alice creates an event with her token; the grid's service token cancels it.
    const created = await tc.api('/api/v1/events', { method: 'POST', ...bearer(tok.body.token), body: { scope: { sites: [site] }, kind: 'limit_to_kw', value: 500, durationS: 600, reason: 'alice test' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.createdBy, 'alice');
    const cancelled = await tc.api(`/api/v1/events/${created.body.id}`, { method: 'DELETE', token: 'grid' });
    assert.equal(cancelled.status, 200, cancelled.text);

    const events = await audit(tc, '?action=event.');
    const create = events.find((e) => e.action === 'event.create')!;
    assert.deepEqual({ actorKind: create.actorKind, actor: create.actor, ip: create.ip, target: create.target }, { actorKind: 'user', actor: 'alice', ip: '127.0.0.1', target: created.body.id });
    assert.equal(create.before, null);
    assert.deepEqual({ kind: create.after.kind, value: create.after.value, sites: create.after.sites, reason: create.after.reason }, { kind: 'limit_to_kw', value: 500, sites: [site], reason: 'alice test' });
    const cancel = events.find((e) => e.action === 'event.cancel')!;
    assert.deepEqual({ actorKind: cancel.actorKind, actor: cancel.actor }, { actorKind: 'service', actor: 'grid' });
    assert.equal(cancel.before.status, 'active');
    assert.equal(cancel.after.status, 'cancelled');
    assert.deepEqual(events.map((e) => e.action), ['event.cancel', 'event.create'], 'newest first');
    assert.deepEqual((await audit(tc, `?site=${site}`)).map((e) => e.action), ['event.cancel', 'event.create', 'site.create'], 'found by its site (the site itself came from the YAML)');

    // User changes are audited too, by the admin service token; no hash ever appears.
    const users = await audit(tc, '?action=user.');
    assert.deepEqual(users.map((e) => [e.action, e.actor, e.target]), [['user.create', 'admin', 'alice']]);
    const tokens = await audit(tc, '?actor=admin&action=token.create');
    assert.deepEqual(tokens.map((e) => e.after), [{ id: tok.body.id, label: 'laptop', revoked: false }]);
    assert.ok(!JSON.stringify(await audit(tc)).includes('scrypt$'), 'no password hash in the log');

    // Rotate: the old token stops working, the new one works; revoke: it stops too.
    const rotated = await tc.api(`/api/v1/users/alice/tokens/${tok.body.id}/rotate`, { method: 'POST', token: 'admin' });
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal((await tc.api('/api/v1/me', bearer(tok.body.token))).status, 401, 'rotated-out token refused');
    assert.equal((await tc.api('/api/v1/me', bearer(rotated.body.token))).status, 200);
    assert.equal((await tc.api(`/api/v1/users/alice/tokens/${rotated.body.id}`, { method: 'DELETE', token: 'admin' })).status, 200);
    const refused = await tc.api('/api/v1/me', bearer(rotated.body.token));
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /revoked/);
    assert.deepEqual((await audit(tc, '?action=token.')).map((e) => e.action), ['token.revoke', 'token.rotate', 'token.create']);
  });
});

test('dashboard sign-in: a session cookie (HttpOnly, SameSite=Strict) that acts as the user; wrong passwords are rate-limited', { timeout: 60_000 }, async () => {
  await withCollector((p) => ({ sites: [{ id: `${p}-a`, name: 'A', allocationKw: 1000 }], auth: { maxFailedSignIns: 3, signInWindowS: 600 } }), async (tc) => {
    assert.equal((await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'bob', role: 'grid', password: 'bob-password-1' } })).status, 201);
    const signIn = (password: string) => tc.api('/api/v1/session', { method: 'POST', token: null, body: { username: 'bob', password } });
    const ok = await signIn('bob-password-1');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, { name: 'bob', role: 'grid', kind: 'user', via: 'session' });
    const cookie = ok.headers.get('set-cookie')!;
    assert.match(cookie, /^hashwatt_session=[A-Za-z0-9_-]{40,}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/, 'no Secure over plain HTTP');
    const session = { token: null, headers: { cookie: cookie.split(';')[0]! } };

    assert.deepEqual((await tc.api('/api/v1/me', session)).body, { name: 'bob', role: 'grid', kind: 'user', via: 'session' });
    const site = await tc.api(`/api/v1/sites/${tc.prefix}-a`, { method: 'PUT', ...session, body: { allocationKw: 1500, tariffPerKwh: 0.05 } });
    assert.equal(site.status, 200, site.text);
    const [change] = await audit(tc, `?site=${tc.prefix}-a`);
    assert.deepEqual({ action: change!.action, actor: change!.actor, kind: change!.actorKind }, { action: 'site.update', actor: 'bob', kind: 'user' });
    assert.deepEqual([change!.before.allocationKw, change!.after.allocationKw, change!.before.tariffPerKwh, change!.after.tariffPerKwh], [1000, 1500, 0, 0.05]);
    // A change dated in the future: today's row is unchanged, the entry says what is scheduled.
    const later = Date.now() + 86_400_000;
    assert.equal((await tc.api(`/api/v1/sites/${tc.prefix}-a`, { method: 'PUT', ...session, body: { allocationKw: 2000, effectiveFrom: later } })).status, 200);
    const [dated] = await audit(tc, `?site=${tc.prefix}-a`);
    assert.deepEqual([dated!.actor, dated!.after.allocationKw, dated!.after.scheduledTerms], ['bob', 1500, [{ effectiveFrom: later, allocationKw: 2000, hardCapKw: null, tariffPerKwh: 0.05 }]]);

    const out = await tc.api('/api/v1/session', { method: 'DELETE', ...session });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /^hashwatt_session=; .*Max-Age=0/);
    assert.equal((await tc.api('/api/v1/me', session)).status, 401, 'the session ended on the server, not only in the browser');

    for (let i = 0; i < 3; i++) {
      const wrong = await signIn('not-the-password');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.message, 'wrong username or password');
    }
    const limited = await signIn('bob-password-1');
    assert.equal(limited.status, 429, 'the right password is refused too once the limit is reached');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const unknown = await tc.api('/api/v1/session', { method: 'POST', token: null, body: { username: 'nobody', password: 'whatever-it-is' } });
    assert.equal(unknown.status, 429, 'the same address is limited for every name');

    const sign = (await audit(tc, '?action=session.')).map((e) => [e.action, e.actor, e.after?.reason ?? null]);
    assert.deepEqual(sign.slice(0, 3), [['session.sign_in_failed', 'bob', 'wrong password'], ['session.sign_in_failed', 'bob', 'wrong password'], ['session.sign_in_failed', 'bob', 'wrong password']]);
    assert.deepEqual(sign.slice(3), [['session.sign_out', 'bob', null], ['session.sign_in', 'bob', null]]);

    // Disabling ends sessions and tokens at once.
    const again = await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'carol', role: 'viewer', password: 'carol-password-1' } });
    assert.equal(again.status, 201);
    const t = (await tc.api('/api/v1/users/carol/tokens', { method: 'POST', token: 'admin', body: {} })).body.token;
    assert.equal((await tc.api('/api/v1/users/carol', { method: 'PUT', token: 'admin', body: { disabled: true } })).body.disabled, true);
    assert.equal((await tc.api('/api/v1/me', bearer(t))).status, 401);
    const upd = (await audit(tc, '?action=user.update'))[0]!;
    assert.deepEqual([upd.before.disabled, upd.after.disabled, upd.target], [false, true, 'carol']);
  });
});

test('audit log: registration, grey sites and auto-enforcement are attributed; filters by time; CSV export; append-only in the database', { timeout: 60_000 }, async () => {
  await withCollector((p) => ({ sites: [{ id: `${p}-a`, name: 'A', allocationKw: 1000, hardCapKw: 1200, autoEnforce: true }], alerts: { evaluateEveryS: 60 }, compliance: { windowS: 1, graceS: 600 } }), async (tc) => {
    const [siteA, grey] = [`${tc.prefix}-a`, `${tc.prefix}-b`];
    const pa = await startTestPublisher(tc.broker.url, siteA);
    const pb = await startTestPublisher(tc.broker.url, grey);
    try {
      // A site nobody registered reports: the collector flags it (actor: the collector itself).
      await pb.online();
      await pb.telemetry(1, [sample(Date.now(), 300)]);
      const flagged = await waitFor('site.flagged', async () => (await audit(tc, `?site=${grey}`)).find((e) => e.action === 'site.flagged'));
      assert.deepEqual([flagged.actorKind, flagged.actor, flagged.after.flagged, flagged.after.registered], ['system', 'collector', true, false]);
      // The operator registers it.
      const reg = await tc.api(`/api/v1/sites/${grey}`, { method: 'PUT', body: { name: 'Now registered', allocationKw: 400 } });
      assert.equal(reg.status, 200, reg.text);
      const [registered] = await audit(tc, '?action=site.register');
      assert.deepEqual([registered!.actor, registered!.site, registered!.before.registered, registered!.after.registered, registered!.after.allocationKw], ['operator', grey, false, true, 400]);

      // Over the hard cap with auto-enforcement: the compliance engine creates an event.
      await pa.online();
      await pa.telemetry(1, [sample(Date.now(), 1500), sample(Date.now() + 1, 1500)]);
      const enforced = await waitFor('compliance event.create', async () => (await audit(tc, '?actor=compliance')).find((e) => e.action === 'event.create'));
      assert.deepEqual([enforced.actorKind, enforced.site, enforced.ip, enforced.after.kind, enforced.after.value, enforced.after.createdBy], ['compliance', siteA, null, 'limit_to_kw', 1000, 'compliance']);
    } finally {
      for (const p of [pa, pb]) { await p.clearRetained().catch(() => undefined); await p.close().catch(() => undefined); }
    }

    const all = await audit(tc);
    const mid = all.find((e) => e.action === 'site.register')!.ts;
    assert.ok((await audit(tc, `?from=${mid}`)).every((e) => e.ts >= mid));
    assert.ok((await audit(tc, `?to=${mid - 1}`)).every((e) => e.ts < mid));
    assert.equal((await audit(tc, `?to=${new Date(mid - 1).toISOString()}`)).length, all.filter((e) => e.ts < mid).length, 'ISO times work as well');
    const badRange = await tc.api(`/api/v1/audit?from=${mid}&to=${mid - 10}`);
    assert.equal(badRange.status, 400);

    const csv = await tc.api('/api/v1/audit?format=csv');
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'id,time,actor_kind,actor,ip,action,site,target,before,after');
    assert.equal(lines.length, all.length + 1);
    assert.ok(lines.some((l) => l.includes(',compliance,compliance,,event.create,')), 'the enforcement row');
    assert.ok(lines.some((l) => /,service,operator,127\.0\.0\.1,site\.register,/.test(l)));

    const db = tc.readStore({ write: true });
    try {
      await assert.rejects(db.all('UPDATE audit_log SET actor = ?', 'someone else'), /append-only/);
      await assert.rejects(db.all('DELETE FROM audit_log'), /append-only/);
    } finally {
      await db.close();
    }
    assert.equal((await audit(tc)).length, all.length);
  });
});

test('over TLS (http.tls) the session cookie is Secure', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-tls-'));
  try {
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (gen.error) {
      if (process.env.CI === 'true') assert.fail('openssl is missing');
      t.skip('openssl not installed');
      return;
    }
    assert.equal(gen.status, 0, gen.stderr);
    await withCollector(() => ({ http: { host: '127.0.0.1', port: 0, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } } }), async (tc) => {
      assert.match(tc.collector.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await tc.api('/api/v1/users', { method: 'POST', token: 'admin', body: { username: 'tess', role: 'viewer', password: 'tess-password-1' } }).catch(() => ({ status: 0 }))).status, 0, 'plain fetch refuses the self-signed certificate');
      const ca = await readFile(join(dir, 'cert.pem'));
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
        const req = httpsRequest(`${tc.collector.httpUrl}${path}`, { method, ca, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
      });
      assert.equal((await call('POST', '/api/v1/users', { username: 'tess', role: 'viewer', password: 'tess-password-1' }, { authorization: `Bearer ${TOKENS.admin}` })).status, 201);
      const signIn = await call('POST', '/api/v1/session', { username: 'tess', password: 'tess-password-1' });
      assert.equal(signIn.status, 200, signIn.text);
      assert.match(String(signIn.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Secure$/);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sites changed in the YAML are audited at start, by the config, only when something changed', { timeout: 60_000 }, async () => {
  const prefix = `cf${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const first = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw: 1000 }] }, { prefix, serveSites: [site] });
  const dataDir = first.dataDir;
  await first.collector.stop();
  try {
    for (const allocationKw of [1200, 1200]) {
      const tc = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw }] }, { prefix, serveSites: [site], dataDir, broker: first.broker });
      await tc.stop();
    }
    const last = await startTestCollector({ sites: [{ id: site, name: 'A', allocationKw: 1200 }] }, { prefix, serveSites: [site], dataDir, broker: first.broker });
    try {
      const entries = await audit(last, `?site=${site}`);
      assert.deepEqual(entries.map((e) => [e.action, e.actorKind, e.actor, e.before?.allocationKw ?? null, e.after.allocationKw]), [
        ['site.update', 'system', 'config', 1000, 1200],
        ['site.create', 'system', 'config', null, 1000],
      ]);
    } finally {
      await last.stop();
    }
  } finally {
    await first.stop();
  }
});
