import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSilentLogger } from '../../shared/log/logger.js';
import { uniqueId } from '../helpers/broker.js';
import { chromiumSkipReason, launchChromium, watchConsole } from './chromium.js';
import { testStoreConfig } from '../../server/testing/test-store.js';

const skip = chromiumSkipReason();

/**
 * Done-when 3 of issue 19: the demo with its built-in test VTN
 * (`hashwatt demo --openadr-test-vtn` wires the same pieces) shows the VTN's
 * event on the Curtailment page, marked OpenADR with its program, and offers
 * no cancel button for it even to an operator.
 */
test('demo with the built-in test VTN: the OpenADR event on the dashboard, read-only', { skip, timeout: 120_000 }, async () => {
  const { planDemoSites } = await import('../../server/demo/demo-plan.js');
  const { startDemo } = await import('../../server/demo/start-demo.js');
  const { startDemoVtn, publishDemoEvent } = await import('../../server/demo/demo-openadr.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-openadr-demo-'));
  const siteIdPrefix = process.env.MQTT_URL ? `${uniqueId('v')}-` : '';
  const { vtn, openadr } = await startDemoVtn(planDemoSites({ sites: 2, miners: 20, idPrefix: siteIdPrefix }));
  const demo = await startDemo({
    sites: 2, miners: 20, httpPort: 0, mqttPort: 0, explicitPorts: { http: true, mqtt: true }, timeFactor: 0.05, dataDir, siteIdPrefix,
    pollCron: '*/2 * * * * *', openadr: { ...openadr, pollS: 1 }, store: await testStoreConfig(dataDir), ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : {}), log: createSilentLogger(),
  });
  const browser = await launchChromium();
  try {
    const site = demo.sites.find((s) => s.role === 'registered')!;
    await publishDemoEvent(vtn, site);
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    const errors = watchConsole(page);
    await page.goto(`${demo.dashboardUrl}#token=${encodeURIComponent(demo.tokens.operator)}`);
    await page.goto(`${demo.dashboardUrl}#/curtailment`);
    const event = page.locator('[data-testid=event]', { has: page.locator('[data-testid=event-source]') }).first();
    await event.waitFor({ timeout: 30_000 });
    assert.equal(await event.locator('[data-testid=event-source]').textContent(), 'OpenADR · demo-capacity');
    const detail = await event.locator('[data-testid=event-source-detail]').textContent();
    assert.match(detail ?? '', new RegExp(`From openadr:hashwatt-demo: program demo-capacity, VTN event ${[...vtn.events.keys()][0]}, interval \\d \\(read-only\\)`));
    assert.equal(await event.locator('[data-testid=cancel-event]').count(), 0, 'no cancel button on an event the VTN owns');
    // The VTN event has two intervals; the second's hashwatt event can reach the page a poll after the first's.
    await page.locator('[data-testid=event-source]').nth(1).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid=event-source]').count(), 2, 'one event per interval');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close().catch(() => {});
    await demo.stop();
    await vtn.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
