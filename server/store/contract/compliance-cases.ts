import assert from 'node:assert/strict';
import type { ContractCase } from './store-harness.js';
import { addSite } from './seed-site.js';

const now = 1_700_000_000_000;
const minute = 60_000;

/** Site violations of their allocation, companies and their cap violations. */
export const complianceCases: ContractCase[] = [
  {
    name: 'compliance: a site violation opens, grows, is enforced and closes',
    async run({ store }) {
      const a = await addSite(store, 's-a');
      const id = await store.violations.open({ siteId: a, openedAt: now, allocationKw: 100, thresholdKw: 105, peakKw: 110.5, energyOverKwh: 0.1 });
      assert.deepEqual(await store.violations.listOpen(now + minute), [{
        id, site: 's-a', siteId: a, openedAt: now, closedAt: null, allocationKw: 100, thresholdKw: 105, peakKw: 110.5, energyOverKwh: 0.1, durationS: 60, enforcedRevision: null,
      }]);
      await store.violations.setEnforced(id, 42);
      await store.violations.update(id, { peakKw: 120, energyOverKwh: 0.75, closedAt: now + 2 * minute });
      assert.deepEqual(await store.violations.listOpen(now + 5 * minute), []);
      const [closed] = await store.violations.list({}, now + 5 * minute);
      assert.deepEqual({ peakKw: closed!.peakKw, energyOverKwh: closed!.energyOverKwh, closedAt: closed!.closedAt, durationS: closed!.durationS, enforcedRevision: closed!.enforcedRevision },
        { peakKw: 120, energyOverKwh: 0.75, closedAt: now + 2 * minute, durationS: 120, enforcedRevision: 42 });
    },
  },
  {
    name: 'compliance: site violations filter by site, open, time window and limit, newest first',
    async run({ store }) {
      const [a, b] = [await addSite(store, 's-a'), await addSite(store, 's-b')];
      const open = (siteId: number, openedAt: number) => store.violations.open({ siteId, openedAt, allocationKw: 1, thresholdKw: 1, peakKw: 2, energyOverKwh: 0 });
      const first = await open(a, now);
      const second = await open(b, now + minute);
      const third = await open(a, now + 2 * minute);
      await store.violations.update(first, { peakKw: 2, energyOverKwh: 0, closedAt: now + 30_000 });
      const ids = async (q: Parameters<typeof store.violations.list>[0]) => (await store.violations.list(q, now)).map((v) => v.id);
      assert.deepEqual(await ids({}), [third, second, first]);
      assert.deepEqual(await ids({ site: 's-a' }), [third, first]);
      assert.deepEqual(await ids({ site: 'nowhere' }), []);
      assert.deepEqual(await ids({ open: true }), [third, second]);
      assert.deepEqual(await ids({ from: now + minute }), [third, second]);
      assert.deepEqual(await ids({ to: now + minute }), [first]);
      assert.deepEqual(await ids({ limit: 1 }), [third]);
    },
  },
  {
    name: 'compliance: a company upsert says whether it created the company and keeps its creation time',
    async run({ store }) {
      const made = await store.companies.upsert({ id: 'acme', name: 'Acme', allocationKw: 500, hardCapKw: null, autoLimit: false }, now);
      assert.deepEqual(made, { created: true, row: { id: 'acme', name: 'Acme', allocationKw: 500, hardCapKw: null, autoLimit: false, createdAt: now, updatedAt: now } });
      const changed = await store.companies.upsert({ id: 'acme', name: 'Acme Mining', allocationKw: 600, hardCapKw: 650.5, autoLimit: true }, now + 1);
      assert.deepEqual(changed, { created: false, row: { id: 'acme', name: 'Acme Mining', allocationKw: 600, hardCapKw: 650.5, autoLimit: true, createdAt: now, updatedAt: now + 1 } });
      await store.companies.upsert({ id: 'beta', name: 'Beta', allocationKw: 0, hardCapKw: null, autoLimit: false }, now);
      assert.deepEqual((await store.companies.list()).map((c) => c.id), ['acme', 'beta']);
      assert.deepEqual(await store.companies.get('acme'), changed.row);
      assert.equal(await store.companies.get('nobody'), undefined);
    },
  },
  {
    name: 'compliance: a company violation keeps its highest peak and its sites, and closes',
    async run({ store }) {
      const id = await store.companies.openViolation({ company: 'acme', openedAt: now, capKw: 500, peakKw: 520, sites: ['s-a', 's-b'] });
      await store.companies.updateViolation(id, 510, null);
      await store.companies.updateViolation(id, 560.5, null);
      await store.companies.updateViolation(id, 530, null);
      assert.deepEqual(await store.companies.openViolationOf('acme', now + minute), {
        id, company: 'acme', openedAt: now, closedAt: null, capKw: 500, peakKw: 560.5, sites: ['s-a', 's-b'], durationS: 60,
      });
      await store.companies.updateViolation(id, 0, now + 2 * minute);
      assert.equal(await store.companies.openViolationOf('acme', now), undefined);
      const other = await store.companies.openViolation({ company: 'beta', openedAt: now + minute, capKw: 1, peakKw: 2, sites: [] });
      assert.deepEqual((await store.companies.violations({}, now)).map((v) => v.id), [other, id]);
      assert.deepEqual((await store.companies.violations({ company: 'acme' }, now)).map((v) => [v.id, v.durationS, v.peakKw]), [[id, 120, 560.5]]);
      assert.deepEqual((await store.companies.violations({ open: true }, now)).map((v) => v.id), [other]);
      assert.deepEqual((await store.companies.violations({ limit: 1 }, now)).map((v) => v.id), [other]);
    },
  },
];
