/**
 * The cryptographic operations a health probe uses: GenerateRandom (in KMS, or in a CloudHSM key
 * store's cluster) and Encrypt (a key in KMS or in a custom key store).
 *
 * KMS reaches the backing key store on every call, so a CONNECTED store whose backing broke fails
 * these calls while DescribeCustomKeyStores still shows it CONNECTED ("If the value is CONNECTED but
 * you are having trouble using the custom key store, make sure that the backing key store is
 * reachable and active": API model, CustomKeyStoresListEntry.ConnectionState). The world's switches
 * (world.ts) are read at each call, not only at connect.
 *
 * Which exception each broken backing gives is the model's choice among those the API model lists
 * for the operation (the Guide does not map causes to names): an unreachable cluster or proxy is a
 * DependencyTimeoutException ("The system timed out"), a cluster that cannot serve (no HSMs, kmsuser
 * locked or logged in, deleted) is KMSInternalException for GenerateRandom and, for Encrypt,
 * KMSInvalidStateException ("For cryptographic operations on KMS keys in custom key stores, this
 * exception represents a general failure with many possible causes").
 */
import { randomBytes } from 'crypto';
import { ServiceError } from '../../endpoint/service-error';
import type { KmsAccount } from './account';
import { invalidState, validation } from './errors';
import type { Keys } from './keys';
import { Json, Store } from './records';

type Failure = 'timeout' | 'unusable' | undefined;

export class Crypto {
  constructor(
    private readonly account: KmsAccount,
    private readonly keys: Keys,
  ) {}

  public GenerateRandom(input: Json): Json {
    const bytes = input.NumberOfBytes;
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
      throw validation("1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024");
    }
    if (input.CustomKeyStoreId !== undefined) {
      const store = this.account.store(input);
      if (store.type !== 'AWS_CLOUDHSM') {
        // "If you specify the ID of an external key store, GenerateRandom throws an UnsupportedOperationException."
        throw new ServiceError('UnsupportedOperationException', `GenerateRandom is not supported for external key store '${store.id}'.`);
      }
      this.requireConnected(store, 'GenerateRandom');
      const failure = this.backingFailure(store);
      if (failure === 'timeout') throw new ServiceError('DependencyTimeoutException', 'The system timed out while trying to fulfill the request.');
      if (failure === 'unusable') throw new ServiceError('KMSInternalException', 'The request was rejected because an internal exception occurred.');
    }
    return { Plaintext: randomBytes(bytes).toString('base64') };
  }

  public Encrypt(input: Json): Json {
    const key = this.keys.key(input);
    const plaintext = input.Plaintext;
    if (typeof plaintext !== 'string' || Buffer.from(plaintext, 'base64').length < 1 || Buffer.from(plaintext, 'base64').length > 4096) {
      throw validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096");
    }
    if (key.deletionDate !== undefined) throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    if (!key.enabled) throw new ServiceError('DisabledException', `${key.arn} is disabled.`);
    if (key.storeId !== undefined) {
      const store = this.account.stores.get(key.storeId);
      if (!store || this.account.stateOf(store).state !== 'CONNECTED') {
        // A key is Unavailable while its store is not connected.
        throw new ServiceError('KMSInvalidStateException', `${key.arn} is unavailable.`);
      }
      const failure = this.backingFailure(store);
      if (failure === 'timeout') throw new ServiceError('DependencyTimeoutException', 'The system timed out while trying to fulfill the request.');
      if (failure === 'unusable') throw new ServiceError('KMSInvalidStateException', `The custom key store of ${key.arn} could not complete the request.`);
      if (key.xksKeyId !== undefined && (this.account.world.missingExternalKeys.has(key.xksKeyId) || this.account.world.invalidExternalKeys.has(key.xksKeyId))) {
        throw new ServiceError('KMSInvalidStateException', `The external key store proxy rejected the request for external key ${key.xksKeyId}.`);
      }
    }
    return { KeyId: key.arn, CiphertextBlob: randomBytes(64).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  private requireConnected(store: Store, op: string): void {
    const { state } = this.account.stateOf(store);
    if (state !== 'CONNECTED') throw invalidState(store.id, state, op);
  }

  /** What the backing key store does to a request now (undefined: it serves it). */
  private backingFailure(store: Store): Failure {
    const world = this.account.world;
    if (store.type === 'AWS_CLOUDHSM') {
      const cluster = world.clusters.get(store.clusterId as string) ?? {};
      if (cluster.networkBlocked) return 'timeout';
      if (cluster.exists === false || cluster.hsmCount === 0 || cluster.kmsUserLocked || cluster.kmsUserLoggedIn || cluster.kmsUserExists === false) return 'unusable';
      return undefined;
    }
    const xks = store.xks;
    const proxy = xks ? world.proxies.get(xks.endpoint) ?? {} : {};
    if (proxy.reachable === false) return 'timeout';
    if (proxy.deniesKms || (xks !== undefined && !world.proxyAccepts(xks))) return 'unusable';
    if (xks?.vpcServiceName !== undefined && world.vpcEndpointServices.get(xks.vpcServiceName)?.exists === false) return 'timeout';
    return undefined;
  }
}
