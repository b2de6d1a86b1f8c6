/**
 * The KMS custom key store calls the handler makes, each one retried on transient errors.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateCustomKeyStoreCommandInput,
  CustomKeyStoresListEntry,
  CustomKeyStoreType,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeCustomKeyStoresCommandInput,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  UpdateCustomKeyStoreCommand,
  UpdateCustomKeyStoreCommandInput,
} from '@aws-sdk/client-kms';
import { errorName } from './errors';
import { RetryOptions, withRetry } from './retry';

export type StoreView = CustomKeyStoresListEntry;

/** The errors a retried create meets when its first attempt did create the store. */
const IN_USE_BY_A_RETRY = new Set(['CustomKeyStoreNameInUseException', 'XksProxyUriInUseException', 'XksProxyUriEndpointInUseException', 'XksProxyVpcEndpointServiceInUseException']);

export interface CreateOutcome {
  readonly id: string;
  /** The store an earlier attempt of this create made. */
  readonly adopted: boolean;
  /** KMS returned an existing store that this stack did not make. */
  readonly foreign?: StoreView;
}

export class StoreApi {
  constructor(
    public readonly kms: KMSClient,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The store, or undefined when KMS does not know it. */
  public async describe(customKeyStoreId: string): Promise<StoreView | undefined> {
    return this.describeBy({ CustomKeyStoreId: customKeyStoreId });
  }

  /**
   * Every custom key store of the account and Region, by id, in as few DescribeCustomKeyStores
   * calls as KMS allows: one call returns up to 1,000 stores (the account's default quota is 10),
   * whereas asking by id would cost one call per store out of the 5 a second all callers share.
   */
  public async listAll(): Promise<Map<string, StoreView>> {
    const stores = new Map<string, StoreView>();
    let marker: string | undefined;
    do {
      const page = await withRetry(async () => this.kms.send(new DescribeCustomKeyStoresCommand({ Limit: 1000, Marker: marker })), this.retry);
      for (const store of page.CustomKeyStores ?? []) {
        if (store.CustomKeyStoreId) stores.set(store.CustomKeyStoreId, store);
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return stores;
  }

  public async describeByName(name: string): Promise<StoreView | undefined> {
    return this.describeBy({ CustomKeyStoreName: name });
  }

  private async describeBy(input: DescribeCustomKeyStoresCommandInput): Promise<StoreView | undefined> {
    try {
      const out = await withRetry(async () => this.kms.send(new DescribeCustomKeyStoresCommand(input)), this.retry);
      return out.CustomKeyStores?.[0];
    } catch (err) {
      if (errorName(err) === 'CustomKeyStoreNotFoundException') {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Creates the store, or finds the one an earlier attempt of this very create made (its answer
   * lost to a dropped connection, or the event replayed). KMS then answers NameInUse, or for an
   * external key store XksProxyUriInUse / XksProxyUriEndpointInUse (VPC endpoint service
   * connectivity) / XksProxyVpcEndpointServiceInUse first (it checks the proxy before the name); `isOurs` decides whether the store of that name is ours.
   *
   * A CloudHSM create whose values all match a DISCONNECTED store may return that store's id
   * instead of a new one: `isOurs` decides that case too, and a store that is not ours is refused.
   */
  public async create(input: CreateCustomKeyStoreCommandInput, isOurs: (existing: StoreView) => boolean): Promise<CreateOutcome> {
    let id: string | undefined;
    try {
      id = (await withRetry(async () => this.kms.send(new CreateCustomKeyStoreCommand(input)), this.retry)).CustomKeyStoreId;
    } catch (err) {
      if (IN_USE_BY_A_RETRY.has(errorName(err)) && input.CustomKeyStoreName) {
        const existing = await this.describeByName(input.CustomKeyStoreName);
        if (existing?.CustomKeyStoreId && isOurs(existing)) {
          return { id: existing.CustomKeyStoreId, adopted: true };
        }
      }
      throw err;
    }
    if (!id) {
      throw new Error('CreateCustomKeyStore returned no CustomKeyStoreId');
    }
    if (input.CustomKeyStoreType !== CustomKeyStoreType.EXTERNAL_KEY_STORE) {
      // Right after a create, a read may not show the store yet: a store we cannot see is new.
      const created = await this.describe(id).catch(() => undefined);
      if (created && !isOurs(created)) {
        return { id, adopted: false, foreign: created };
      }
    }
    return { id, adopted: false };
  }

  public async connect(customKeyStoreId: string): Promise<void> {
    await withRetry(async () => this.kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: customKeyStoreId })), this.retry);
  }

  public async disconnect(customKeyStoreId: string): Promise<void> {
    await withRetry(async () => this.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: customKeyStoreId })), this.retry);
  }

  public async update(input: UpdateCustomKeyStoreCommandInput): Promise<void> {
    await withRetry(async () => this.kms.send(new UpdateCustomKeyStoreCommand(input)), this.retry);
  }

  public async delete(customKeyStoreId: string): Promise<void> {
    await withRetry(async () => this.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: customKeyStoreId })), this.retry);
  }
}
