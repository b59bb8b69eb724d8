import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { registerDashboard } from '../../server/dashboard/serve-dashboard.js';
import { sample, startTestPublisher, type TestPublisher } from '../../server/testing/test-publisher.js';
import { startTestCollector, TOKENS, type TestCollector } from '../../server/testing/test-collector.js';
import { chromiumSkipReason, launchChromium, watchConsole } from './chromium.js';

/**
 * Named users in a real browser: an admin creates two users in the Users
 * view, each signs in with username and password in their own browser
 * context, one starts a curtailment event and the other cancels it, and the
 * Audit view shows each action under the name of the user who did it.
 */
const skip = chromiumSkipReason();

let tc: TestCollector;
let pub: TestPublisher;
let browser: Browser;
let site: string;
const errors = new Map<Page, string[]>();

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  errors.set(page, watchConsole(page));
  return page;
}

async function signIn(username: string, password: string): Promise<Page> {
  const page = await newPage();
  await page.goto(tc.collector.httpUrl);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.locator('button[type=submit]').click();
  await page.locator('[data-testid=role]', { hasText: username }).waitFor();
  return page;
}

before(async () => {
  if (skip) return;
  const prefix = `br${Math.random().toString(36).slice(2, 8)}`;
  site = `${prefix}-a`;
  tc = await startTestCollector({ sites: [{ id: site, name: 'Audit Site', allocationKw: 5000 }] }, { prefix, serveSites: [site], extendHttp: (app) => registerDashboard(app) });
  pub = await startTestPublisher(tc.broker.url, site);
  await pub.online();
  await pub.telemetry(1, [sample(Date.now(), 3000)]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => {});
  await pub?.clearRetained().catch(() => undefined);
  await pub?.close().catch(() => undefined);
  await tc?.stop();
});

test('two users sign in with their passwords; the audit log shows who started and who cancelled the event', { skip, timeout: 120_000 }, async () => {
  // The admin (a service token) creates both users in the Users view.
  const admin = await newPage();
  await admin.goto(`${tc.collector.httpUrl}/#token=${TOKENS.admin}`);
  await admin.locator('[data-nav=users]').click();
  for (const [name, role] of [['ana', 'operator'], ['ben', 'grid']] as const) {
    await admin.fill('#us-name', name);
    await admin.selectOption('#us-role', role);
    await admin.fill('#us-password', `${name}-secret-pass`);
    await admin.locator('[data-testid=create-user]').click();
    await admin.locator(`[data-testid=user-row][data-user=${name}]`).waitFor();
  }
  // A token for ana: shown once in the page.
  await admin.locator('[data-testid=user-row][data-user=ana] [data-testid=add-token]').click();
  const secret = await admin.locator('[data-testid=new-token]').textContent();
  assert.match(secret ?? '', /^hwt_/);
  await admin.locator('[data-testid=user-row][data-user=ana] [data-testid=token-row]').waitFor();
  await admin.screenshot({ path: 'test-output/dashboard-users.png' }).catch(() => undefined);

  // Wrong password: refused with a message, no session.
  const stranger = await newPage();
  await stranger.goto(tc.collector.httpUrl);
  await stranger.fill('#username', 'ana');
  await stranger.fill('#password', 'not-her-password');
  await stranger.locator('button[type=submit]').click();
  await stranger.locator('[data-testid=login-error]', { hasText: 'Wrong username or password' }).waitFor();
  await stranger.context().close();

  // ana (operator) starts an event from the Curtailment view.
  const ana = await signIn('ana', 'ana-secret-pass');
  const cookies = await ana.context().cookies();
  const cookie = cookies.find((c) => c.name === 'hashwatt_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await ana.evaluate('document.cookie'), '', 'scripts cannot read the session');
  await ana.goto(`${tc.collector.httpUrl}/#/curtailment`);
  await ana.locator('[data-testid=event-form]').waitFor();
  await ana.selectOption('#ev-scope', 'sites');
  await ana.selectOption('#ev-sites', [site]);
  await ana.selectOption('#ev-kind', 'reduce_by_kw');
  await ana.fill('#ev-value', '1000');
  const reason = `ana's event ${Math.random().toString(36).slice(2, 6)}`;
  await ana.fill('#ev-reason', reason);
  await ana.locator('[data-testid=create-event]').click();
  await ana.locator('[data-testid=event-confirm] [data-testid=confirm-event]').click();
  await ana.locator('[data-testid=event][data-status=active]', { hasText: reason }).waitFor({ timeout: 15_000 });

  // ben (grid) cancels it in his own session.
  const ben = await signIn('ben', 'ben-secret-pass');
  await ben.goto(`${tc.collector.httpUrl}/#/curtailment`);
  const event = ben.locator('[data-testid=event][data-status=active]', { hasText: reason });
  await event.waitFor({ timeout: 15_000 });
  await event.locator('[data-testid=cancel-event]').click();
  await event.locator('[data-testid=cancel-confirm-yes]').click();
  await ben.locator('[data-testid=event][data-status=cancelled]', { hasText: reason }).waitFor({ timeout: 15_000 });

  // Both see the other's action attributed, in the Audit view.
  for (const page of [ben, ana]) {
    await page.goto(`${tc.collector.httpUrl}/#/audit`);
    const created = page.locator('[data-testid=audit-row][data-action="event.create"]', { hasText: reason });
    const cancelled = page.locator('[data-testid=audit-row][data-action="event.cancel"]', { hasText: reason });
    await created.waitFor({ timeout: 15_000 });
    await cancelled.waitFor({ timeout: 15_000 });
    assert.equal(await created.getAttribute('data-actor'), 'ana');
    assert.equal(await created.locator('[data-testid=audit-actor]').textContent(), 'ana');
    assert.equal(await cancelled.getAttribute('data-actor'), 'ben');
    assert.match((await cancelled.textContent()) ?? '', /ben.*user.*127\.0\.0\.1.*cancelled event.*active → cancelled/);
  }
  // The filter narrows to one person.
  await ana.fill('#au-actor', 'ben');
  await ana.locator('[data-testid=audit-filter] button[type=submit]').click();
  await ana.waitForFunction(() => {
    const rows = Array.from((globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> } }).document.querySelectorAll('[data-testid=audit-row]'));
    return rows.length > 0 && rows.every((r) => r.getAttribute('data-actor') === 'ben');
  }, null, { timeout: 15_000 });
  // The admin's user and token changes are there too.
  await admin.goto(`${tc.collector.httpUrl}/#/audit`);
  await admin.locator('[data-testid=audit-row][data-action="user.create"][data-actor=admin]', { hasText: 'ana' }).waitFor({ timeout: 15_000 });
  await admin.locator('[data-testid=audit-row][data-action="token.create"]', { hasText: 'ana' }).waitFor({ timeout: 15_000 });
  await ana.screenshot({ path: 'test-output/dashboard-audit.png' }).catch(() => undefined);

  // Sign out ends the session on the server: a reload shows the sign-in form.
  await ben.locator('#logout').click();
  await ben.locator('#username').waitFor();
  await ben.reload();
  await ben.locator('#username').waitFor();
  assert.equal(await ben.locator('#topbar').isHidden(), true);

  for (const [page, list] of errors) assert.deepEqual(list.filter((e) => !/status of 401/.test(e) || page !== stranger), [], 'no console errors');
});
