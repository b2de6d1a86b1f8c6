/**
 * The KMS custom key store calls the handler makes, each one retried on transient errors.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateCustomKeyStoreCommandInput,
  CustomKeyStoresListEntry,
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

export class StoreApi {
  constructor(
    public readonly kms: KMSClient,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The store, or undefined when KMS does not know it. */
  public async describe(customKeyStoreId: string): Promise<StoreView | undefined> {
    return this.describeBy({ CustomKeyStoreId: customKeyStoreId });
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
   * Creates the store. When the name is taken, `isOurs` decides whether the store of that name is
   * this resource's own from an earlier attempt whose answer was lost (a dropped connection, a
   * replayed event): then its id is returned and the create is idempotent.
   */
  public async create(input: CreateCustomKeyStoreCommandInput, isOurs: (existing: StoreView) => boolean): Promise<string> {
    try {
      const out = await withRetry(async () => this.kms.send(new CreateCustomKeyStoreCommand(input)), this.retry);
      if (!out.CustomKeyStoreId) {
        throw new Error('CreateCustomKeyStore returned no CustomKeyStoreId');
      }
      return out.CustomKeyStoreId;
    } catch (err) {
      if (errorName(err) === 'CustomKeyStoreNameInUseException' && input.CustomKeyStoreName) {
        const existing = await this.describeByName(input.CustomKeyStoreName);
        if (existing?.CustomKeyStoreId && isOurs(existing)) {
          return existing.CustomKeyStoreId;
        }
      }
      throw err;
    }
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
