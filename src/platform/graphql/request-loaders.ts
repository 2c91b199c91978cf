import DataLoader from 'dataloader';

/**
 * The batching loaders of one GraphQL operation, made on first use and dropped with its context. A context
 * belongs to one caller, so a loader made here reads as that caller, in that caller's tenant: no loader is
 * shared between requests or tenants.
 */
export class RequestLoaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  /** The operation's loader called `name`; `batch` answers every key gathered in one tick, in the keys' order. */
  get<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>): DataLoader<K, V> {
    let loader = this.loaders.get(name) as DataLoader<K, V> | undefined;
    if (!loader) {
      // Batching only, no cache: a subscription keeps its context for its whole life, so a cached answer
      // would still be served events later.
      loader = new DataLoader(batch, { cache: false, name });
      this.loaders.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}
