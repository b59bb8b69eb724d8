import assert from 'node:assert/strict';
import { SiteSettingsSchema, type SiteSettings } from '../../config/collector-config.js';
import type { ContractCase } from './store-harness.js';

const HOUR = 3_600_000;
export const siteSettings = (id: string, extra: Partial<SiteSettings> = {}): SiteSettings => SiteSettingsSchema.parse({ id, name: `Site ${id}`, ...extra });

export const siteCases: ContractCase[] = [
  {
    name: 'sites: upsert creates then replaces a site; get, getById and list (by key, byte order) return what was stored',
    async run({ store }) {
      const first = await store.sites.upsert(siteSettings('kz-b', { region: 'north', company: 'acme', allocationKw: 500, hardCapKw: 600, tariffPerKwh: 0.05, tier: 2, autoEnforce: true }), 1000);
      assert.equal(first.created, true);
      assert.deepEqual({ ...first.row, id: 0 }, {
        id: 0, site: 'kz-b', name: 'Site kz-b', region: 'north', regionDeclared: false, latitude: null, longitude: null, company: 'acme', registered: true,
        allocationKw: 500, hardCapKw: 600, tariffPerKwh: 0.05, tier: 2, autoEnforce: true, flagged: false, createdAt: 1000, updatedAt: 1000,
      });
      await store.sites.upsert(siteSettings('kzb'), 1000);
      await store.sites.upsert(siteSettings('kz0'), 1000);
      const again = await store.sites.upsert(siteSettings('kz-b', { name: 'B renamed', autoEnforce: null, registered: false }), 2000);
      assert.equal(again.created, false);
      assert.equal(again.row.id, first.row.id);
      assert.deepEqual([again.row.name, again.row.autoEnforce, again.row.registered, again.row.createdAt, again.row.updatedAt], ['B renamed', null, false, 1000, 2000]);
      assert.deepEqual(await store.sites.get('kz-b'), again.row);
      assert.deepEqual(await store.sites.getById(first.row.id), again.row);
      assert.equal(await store.sites.get('nowhere'), undefined);
      assert.equal(await store.sites.getById(999_999), undefined);
      assert.deepEqual((await store.sites.list()).map((s) => s.site), ['kz-b', 'kz0', 'kzb'], 'byte order, as SQLite compares text');
    },
  },
  {
    name: 'sites: a dated change of terms keeps the old terms until it comes due; applyDueTerms brings them in; terms() is the history',
    async run({ store }) {
      const { row } = await store.sites.upsert(siteSettings('s1', { allocationKw: 100, tariffPerKwh: 0.04 }), 1000);
      await store.sites.upsert(siteSettings('s1', { allocationKw: 150, hardCapKw: 200, tariffPerKwh: 0.06 }), 2000, 10 * HOUR);
      assert.deepEqual(await store.sites.terms(row.id), [
        { effectiveFrom: 0, allocationKw: 100, hardCapKw: null, tariffPerKwh: 0.04, changedAt: 1000 },
        { effectiveFrom: 10 * HOUR, allocationKw: 150, hardCapKw: 200, tariffPerKwh: 0.06, changedAt: 2000 },
      ]);
      assert.equal((await store.sites.get('s1'))!.allocationKw, 100, 'not due yet');
      // The same terms again change nothing.
      await store.sites.upsert(siteSettings('s1', { allocationKw: 150, hardCapKw: 200, tariffPerKwh: 0.06 }), 3000, 10 * HOUR);
      assert.equal((await store.sites.terms(row.id)).length, 2);
      const other = (await store.sites.upsert(siteSettings('s2'), 1000)).row;
      assert.deepEqual(await store.sites.applyDueTerms(5 * HOUR, 9 * HOUR), []);
      assert.deepEqual(await store.sites.applyDueTerms(9 * HOUR, 11 * HOUR), [row.id]);
      const now = (await store.sites.get('s1'))!;
      assert.deepEqual([now.allocationKw, now.hardCapKw, now.tariffPerKwh], [150, 200, 0.06]);
      const all = await store.sites.allTerms();
      assert.deepEqual([...all.keys()].sort((a, b) => a - b), [row.id, other.id].sort((a, b) => a - b));
      assert.equal(all.get(row.id)!.length, 2);
    },
  },
  {
    name: 'sites: an unknown site is created flagged in region unknown at the grey tariff; its agent may declare a location until a person registers it',
    siteDefaults: { greyTariffPerKwh: 0.0023 },
    async run(ctx) {
      const { store } = ctx;
      const grey = await store.sites.createUnknown('grey-1', 5000);
      assert.deepEqual([grey.flagged, grey.registered, grey.region, grey.tariffPerKwh, grey.regionDeclared, grey.created], [true, false, 'unknown', 0.0023, false, true]);
      // Another collector of the share group meeting it too gets the same row, not created again.
      const again = await (await ctx.reopen()).sites.createUnknown('grey-1', 5500);
      assert.deepEqual(again, { ...grey, created: false });
      assert.deepEqual(await store.sites.terms(grey.id), [{ effectiveFrom: 0, allocationKw: 0, hardCapKw: null, tariffPerKwh: 0.0023, changedAt: 5000 }]);
      assert.equal(await store.sites.declareLocation(grey.id, { region: 'almaty', latitude: 43.2, longitude: 76.9 }, 6000), true);
      const { created: _created, ...greyRow } = grey;
      assert.deepEqual(await store.sites.get('grey-1'), { ...greyRow, region: 'almaty', regionDeclared: true, latitude: 43.2, longitude: 76.9, updatedAt: 6000 });
      // Coordinates only: the declared region stays.
      assert.equal(await store.sites.declareLocation(grey.id, { latitude: 44 }, 6500), true);
      assert.deepEqual([(await store.sites.get('grey-1'))!.region, (await store.sites.get('grey-1'))!.latitude], ['almaty', 44]);
      const registered = await store.sites.upsert(siteSettings('grey-1', { region: 'south' }), 7000);
      assert.deepEqual([registered.created, registered.row.flagged, registered.row.regionDeclared, registered.row.region], [false, false, false, 'south']);
      assert.equal(await store.sites.declareLocation(grey.id, { region: 'elsewhere' }, 8000), false, 'a registered site keeps the region a person gave it');
      assert.equal((await store.sites.get('grey-1'))!.region, 'south');
    },
  },
];
