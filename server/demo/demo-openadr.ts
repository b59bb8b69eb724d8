import { randomBytes } from 'node:crypto';
import { startTestVtn, type TestVtn } from '../openadr/test-vtn.js';
import type { DemoSitePlan } from './demo-plan.js';

const PROGRAM = 'demo-capacity';

/**
 * `hashwatt demo --openadr-test-vtn`: the built-in test VTN on a free loopback
 * port, one program, and the collector's `openadr` section following it, with
 * one VEN resource per demo site.
 */
export async function startDemoVtn(plans: DemoSitePlan[]): Promise<{ vtn: TestVtn; openadr: Record<string, unknown> }> {
  // A fresh secret per run: the VTN lives on loopback for this run only.
  const CLIENT = { clientId: 'hashwatt-demo-ven', clientSecret: randomBytes(16).toString('hex') };
  const vtn = await startTestVtn({ clients: { [CLIENT.clientId]: CLIENT.clientSecret } });
  vtn.addProgram(PROGRAM);
  return {
    vtn,
    openadr: {
      vtnUrl: vtn.url, auth: CLIENT, venName: 'hashwatt-demo', programs: [PROGRAM],
      resources: plans.map((p) => ({ name: p.id, sites: [p.id] })), pollS: 5, reportDelayS: 15,
    },
  };
}

/**
 * Publishes what a grid operator would: an import limit on one site for two
 * five-minute intervals starting in half a minute, 60 % then 80 % of its draw.
 */
export async function publishDemoEvent(vtn: TestVtn, site: { id: string; drawKw: number }): Promise<void> {
  const program = vtn.programs.find((p) => p.programName === PROGRAM)!;
  await vtn.createEvent({
    programID: program.id, eventName: `demo capacity limit on ${site.id}`, priority: 0, targets: [site.id],
    payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'IMPORT_CAPACITY_LIMIT', units: 'KW' }],
    reportDescriptors: [{ payloadType: 'USAGE', readingType: 'DIRECT_READ', units: 'KWH' }, { payloadType: 'OPERATING_STATE' }],
    intervalPeriod: { start: new Date(Date.now() + 30_000).toISOString(), duration: 'PT5M' },
    intervals: [
      { id: 0, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [Math.round(site.drawKw * 0.6)] }] },
      { id: 1, payloads: [{ type: 'IMPORT_CAPACITY_LIMIT', values: [Math.round(site.drawKw * 0.8)] }] },
    ],
  });
}
