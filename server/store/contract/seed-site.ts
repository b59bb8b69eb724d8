import type { StoreRepositories } from '../store-port.js';

/** A site to hang events, targets, violations and alerts on (as an unknown site reporting makes one); its id. */
export async function addSite(store: Pick<StoreRepositories, 'sites'>, key: string): Promise<number> {
  return (await store.sites.createUnknown(key, 0)).id;
}
