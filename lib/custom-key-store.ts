import { CustomResource, Duration, IResource, RemovalPolicy, Resource, ResourceProps, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { CustomKeyStoreKey, CustomKeyStoreKeyOptions } from './custom-key-store-key';
import { CustomKeyStoreType } from './custom-key-store-type';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from './errors';
import { KeyStoreBackend } from './key-store-backend';
import { RecommendedAlarmsOptions, XksExternalKeyManagerState, XksProxyErrorsMetricOptions } from './monitoring';
import * as rules from './private/contract/field-rules';
import { KeyDeclaration, listenForKeys, recordDeclaredDisconnected } from './private/key-store-facts';
import { DEFAULT_WAIT_SECONDS, KeyStoreResourceProperties, MAX_WAIT_SECONDS, MIN_WAIT_SECONDS, RESOURCE_TYPE, STORE_ID_PATTERN } from './private/contract/store-properties';
import { AVAILABLE_METRIC, CONFIGURATION_DRIFT_METRIC, CONNECTED_METRIC, CREDENTIAL_SYNC_FAILED_METRIC, DRIFTED_KEYS_METRIC, OPERATIONS_NAMESPACE, PROBE_LATENCY_METRIC, STORE_ID_DIMENSION } from './private/contract/operations-metrics';
import { ConnectionWatcher, WATCH_INTERVAL } from './private/operations/connection-watcher';
import { declaredStore } from './private/operations/declared-configuration';
import { KeyStoreProvider } from './private/provider/key-store-provider';
import { ProxyCredentialSync, SYNC_INTERVAL } from './private/operations/proxy-credential-sync';
import { addRecommendedAlarms } from './private/monitoring/alarm-factory';
import { warnOfUnfinishableTeardown } from './private/teardown-warnings';
import type { DashboardStoreFacts } from './private/monitoring/dashboard-widgets';
import * as metrics from './private/monitoring/metric-factory';
import { checkField, checkOptionalField } from './private/validation';

/** A KMS custom key store, declared in this app or imported. */
export interface ICustomKeyStore extends IResource {
  /**
   * The store's id, e.g. `cks-1234567890abcdef0`.
   *
   * @attribute
   */
  readonly customKeyStoreId: string;

  /**
   * The store's kind, when known.
   *
   * @default - unknown, for a store imported by id only
   */
  readonly customKeyStoreType?: CustomKeyStoreType;

  /**
   * The store's name, when known.
   *
   * @default - unknown, for a store imported by id only
   */
  readonly customKeyStoreName?: string;

  /**
   * A metric KMS publishes for this external key store in `AWS/KMS`, by name, with the store's id
   * as its `CustomKeyStoreId` dimension (always this store's) and any `dimensionsMap` given added.
   *
   * A metric KMS publishes with more dimensions than the store's id (most of them: see
   * https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html) has data only
   * when every one of them is given; the `metricXks...()` methods cover the whole store.
   * Any store: for a CloudHSM key store KMS publishes only a few metrics (such as its throttling),
   * none about its connection or its HSMs; the `metricXks...()` methods refuse one.
   *
   * @default - statistic Average, period 5 minutes
   */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * `XksProxyLatency`: the milliseconds the store's XKS proxy took to answer KMS, over every
   * operation and key spec (a CloudWatch Metrics Insights query). KMS gives up after 250 ms.
   *
   * The statistic becomes the query's function: Average, Sum, Minimum, Maximum or SampleCount
   * (percentiles are refused). Entries of `dimensionsMap` (`KmsOperation`, `XksOperation`,
   * `KeySpec`) narrow the query. Refused for a CloudHSM key store.
   *
   * Like every query-backed metric here, it reads only the most recent 3 hours of data (a
   * CloudWatch Metrics Insights limit): a `period` over 3 hours is refused at synth, and an alarm
   * on it should keep period times evaluation periods within 3 hours.
   *
   * @default - statistic Average, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricXksProxyLatency(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression;

  /**
   * `XksProxyErrors`: the requests to the store's XKS proxy that failed, over every operation, key
   * spec and exception (a CloudWatch Metrics Insights query), or only those of one `errorType`.
   *
   * Statistics and `dimensionsMap` as for `metricXksProxyLatency()` (`ExceptionName` too).
   * Refused for a CloudHSM key store.
   *
   * @default - statistic Sum, period 5 minutes, every error type
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricXksProxyErrors(props?: XksProxyErrorsMetricOptions): cloudwatch.MathExpression;

  /**
   * `XksProxyCertificateDaysToExpire`: the days until the TLS certificate of the store's XKS proxy
   * expires, the fewest over every certificate name (a CloudWatch Metrics Insights query: a renewed
   * certificate may be published under a new name). Refused for a CloudHSM key store.
   *
   * KMS publishes no value for a certificate whose subject common name has a wildcard (such as
   * `*.example.com`), nor while the store is disconnected. The recommended certificate alarm then
   * stays INSUFFICIENT_DATA (its description, and the dashboard's certificate graph, say what that
   * means): watch such a certificate's expiry elsewhere.
   *
   * @default - statistic Minimum, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricXksProxyCertificateDaysToExpire(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression;

  /**
   * `XksProxyCredentialAge`: the days since the store was given its current XKS proxy credential.
   * Refused for a CloudHSM key store.
   *
   * @default - statistic Maximum, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricXksProxyCredentialAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * `XksExternalKeyManagerStates`: how many external key manager instances behind the store's XKS
   * proxy are in `state`. Refused for a CloudHSM key store.
   *
   * @default - statistic Maximum, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricXksExternalKeyManagerStates(state: XksExternalKeyManagerState, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * `ExternalKeyStoreThrottle`: the requests for the store's keys that KMS throttled, over every
   * operation and key spec (a CloudWatch Metrics Insights query). Statistics and `dimensionsMap`
   * as for `metricXksProxyLatency()`. Refused for a CloudHSM key store.
   *
   * @default - statistic Sum, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricExternalKeyStoreThrottle(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression;

  /**
   * `CloudHSMKeyStoreThrottle`: the requests for the keys of this CloudHSM key store that KMS
   * throttled, the cluster's own throttling included, over every operation (a CloudWatch Metrics
   * Insights query). Statistics and `dimensionsMap` as for `metricXksProxyLatency()`. Refused for
   * an external key store.
   *
   * @default - statistic Sum, period 5 minutes
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
   */
  metricCloudHsmKeyStoreThrottle(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression;

  /**
   * Whether KMS could use the store at the connection watcher's last probe: 1 if it could, 0 if
   * not, published every minute in the `KmsCustomKeyStores` namespace by the connection watcher of
   * the stack that declares the store, for a CONNECTED store it probes: every watched CloudHSM key
   * store (GenerateRandom in its cluster), and an external key store with a health probe key
   * (`useHealthProbeKey()`). A store that is not CONNECTED publishes nothing here (`metricConnected()`
   * says so). ConnectionState is not health: a store whose cluster or proxy broke stays CONNECTED.
   *
   * @default - statistic Minimum, period 1 minute
   */
  metricAvailable(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * How long the connection watcher's probe of the store took, in milliseconds (see
   * `metricAvailable()` for which stores are probed), whatever its outcome.
   *
   * @default - statistic Maximum, period 1 minute
   */
  metricProbeLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Declares a KMS key in this store, as a child of the store's construct (a convenience for
   * `new CustomKeyStoreKey(...)`), for a store declared here and an imported one alike.
   *
   * The key is checked against what is known of the store: its type (an external key store's
   * key needs `xksKeyId`, a CloudHSM key store's refuses it; for a store imported without its
   * type, giving `xksKeyId` makes the key an external key store key) and, for a store declared
   * here, that it is declared connected.
   */
  addKey(id: string, options?: CustomKeyStoreKeyOptions): CustomKeyStoreKey;
}

/** What is known of a custom key store made outside this stack. */
export interface CustomKeyStoreAttributes {
  /** The store's id, e.g. `cks-1234567890abcdef0`. */
  readonly customKeyStoreId: string;

  /**
   * The store's kind.
   *
   * @default - unknown
   */
  readonly customKeyStoreType?: CustomKeyStoreType;

  /**
   * The store's name.
   *
   * @default - unknown
   */
  readonly customKeyStoreName?: string;
}

/** Properties of a CustomKeyStore. */
export interface CustomKeyStoreProps {
  /**
   * A friendly name for the store, unique in the account and Region (1-256 characters).
   *
   * It appears in CloudTrail logs: do not put confidential information in it.
   */
  readonly customKeyStoreName: string;

  /** Where the store keeps its key material: `KeyStoreBackend.cloudHsm(...)` or an external key store. */
  readonly backend: KeyStoreBackend;

  /**
   * Whether the store should be connected. Deploying waits until it is (or is not).
   *
   * While a store is disconnected, its KMS keys cannot be created or used.
   *
   * @default true
   */
  readonly connected?: boolean;

  /**
   * What happens to the store when it leaves the stack.
   *
   * With DESTROY the store is disconnected, then deleted; if KMS keys remain in it, the deletion
   * fails with `CustomKeyStoreHasCMKsException` and the store is left as it was. With RETAIN
   * CloudFormation forgets the store and KMS keeps it. SNAPSHOT is not supported.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long one deployment may wait for the store to reach its connection state. CloudHSM
   * connections can take 20 minutes, external key stores about 5 each way.
   *
   * @default Duration.minutes(45)
   */
  readonly waitTimeout?: Duration;

  /**
   * Whether the stack's connection watcher reports this store's connection state.
   *
   * The watcher is one scheduled function per stack that reads all of the stack's watched stores
   * with one `DescribeCustomKeyStores` call a minute and publishes, for each, the metric
   * `metricConnected()` returns (and `ConnectionError` by `ConnectionErrorCode`). CloudHSM key
   * stores have no KMS metric about their connection, and an external key store publishes none while disconnected:
   * without the watcher, a store that drops to DISCONNECTED or FAILED goes unnoticed until
   * encryption fails. `addRecommendedAlarms()` turns it on.
   *
   * @default false
   */
  readonly monitorConnection?: boolean;

  /**
   * Whether KMS follows the proxy credential secret when it gets a new current version (external
   * key stores only).
   *
   * When the secret is rotated (Secrets Manager rotation, `put-secret-value`, the console), a
   * function of the stack gives KMS the new credential with `UpdateCustomKeyStore`, which KMS
   * accepts while the store is connected: no redeploy is needed. It runs on Secrets Manager's
   * "Secret Label Updated" event, which needs no CloudTrail trail, and every five minutes, which
   * catches up a lost event or a store that was busy. It remembers the secret version KMS has in an
   * SSM parameter of the stack (KMS never shows the secret access key it holds). When KMS rejects
   * the credential, `metricProxyCredentialSyncFailed()` goes to 1 and the store keeps the credential
   * it had. Update the proxy first, so that it accepts both credentials while KMS switches.
   *
   * Not available for CloudHSM key stores: KMS rotates the kmsuser password itself on every connect.
   *
   * @default false
   */
  readonly syncProxyCredential?: boolean;

  /**
   * Whether the first deployment takes over a store of this name that already exists (made in the
   * console, with the CLI or by Terraform) instead of failing on the name.
   *
   * The existing store must be the same kind of store as declared: type, CloudHSM cluster and
   * trust anchor, or XKS proxy endpoint, path, connectivity and VPC endpoint service (and, unless
   * `adoptSendsSecrets`, the proxy credential's access key id). Otherwise the deployment fails with
   * `AdoptionMismatch`, naming what differs, before anything is changed. An adopted store is then
   * connected or disconnected as declared, and its id becomes this resource's id. If the deployment
   * rolls back, the store is given back as it was (never deleted). After that, the removal policy
   * applies to it as to any store: with DESTROY, deleting the stack deletes the store.
   *
   * Without a store of that name, a new store is created as usual.
   *
   * @default false
   */
  readonly adoptExisting?: boolean;

  /**
   * Whether adopting a store also sends it the kmsuser password or the proxy credential from the
   * declared secret (with `adoptExisting`).
   *
   * KMS never shows these values, so the stack cannot tell whether the store already has them. By
   * default they are not sent: the store keeps the password or credential it works with (an external
   * store's access key id must then match the declared secret's). Set this when the secret holds the
   * value the store should use from now on: for a CloudHSM key store, kmsuser's current password in
   * the cluster (the store is disconnected to receive it); for an external key store, a credential
   * the proxy accepts.
   *
   * @default false
   */
  readonly adoptSendsSecrets?: boolean;

  /**
   * Whether a delete that must wait for keys pending deletion hands the store to the account's
   * `CustomKeyStoreJanitor` instead of failing.
   *
   * KMS deletes a store only when no key is left in it, and a key pending deletion counts until its
   * deletion date, 7-30 days away. Without this, a stack delete (or the rollback of a failed first
   * deploy, or the cleanup after a replacement) whose store holds such keys fails, and must be
   * retried after the dates. With it, when every key left in the store is pending deletion and a
   * janitor has run in the account and Region in the last three hours, the handler records the
   * store in the janitor's registry (SSM parameters under `/cdk-kms-custom-key-store/deferred-deletion/`,
   * in the account, not in this stack), renames it `released/<stack>/<logical id>/<store id>`
   * and reports the delete as done. The janitor keeps a CloudHSM key store connected while its keys
   * wait (KMS deletes their key material from the cluster only then), then disconnects and deletes
   * the store. A store that holds a key not pending deletion is never handed over: its delete fails
   * as without this setting.
   *
   * Requires `removalPolicy: RemovalPolicy.DESTROY` (the default), and a `CustomKeyStoreJanitor`
   * deployed once in the account and Region, in a long-lived stack.
   *
   * @default false
   */
  readonly deferDeletion?: boolean;
}

/**
 * What every custom key store offers, declared in this app or imported: the metrics KMS publishes
 * for it, and keys (`addKey`). Extended by `CustomKeyStore` and by the stores its `fromXxx` methods import.
 */
export abstract class CustomKeyStoreBase extends Resource implements ICustomKeyStore {
  /** The store's id, e.g. `cks-1234567890abcdef0` (a token for a store declared here). */
  public abstract readonly customKeyStoreId: string;

  /** The store's kind, when known. */
  public abstract readonly customKeyStoreType?: CustomKeyStoreType;

  /** The store's name, when known. */
  public abstract readonly customKeyStoreName?: string;

  /** Declares the store's construct; called by `CustomKeyStore` and by the stores it imports. */
  constructor(scope: Construct, id: string, props: ResourceProps = {}) {
    super(scope, id, props);
  }

  /** A metric KMS publishes for this store in `AWS/KMS`, by name, with its `CustomKeyStoreId`. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return metrics.kmsMetric(this, metricName, props);
  }

  /** `XksProxyLatency` over every operation and key spec of this external key store (a Metrics Insights query; see `ICustomKeyStore`). */
  public metricXksProxyLatency(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return metrics.xksProxyLatency(this, props);
  }

  /** `XksProxyErrors` of this external key store, all or of one `errorType` (a Metrics Insights query; see `ICustomKeyStore`). */
  public metricXksProxyErrors(props?: XksProxyErrorsMetricOptions): cloudwatch.MathExpression {
    return metrics.xksProxyErrors(this, props);
  }

  /** `XksProxyCertificateDaysToExpire`, the fewest over every certificate name of this external key store (a Metrics Insights query). */
  public metricXksProxyCertificateDaysToExpire(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return metrics.xksProxyCertificateDaysToExpire(this, props);
  }

  /** `XksProxyCredentialAge`: the days since this external key store got its current proxy credential. */
  public metricXksProxyCredentialAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return metrics.xksProxyCredentialAge(this, props);
  }

  /** `XksExternalKeyManagerStates`: the external key manager instances behind this store's proxy in `state`. */
  public metricXksExternalKeyManagerStates(state: XksExternalKeyManagerState, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return metrics.xksExternalKeyManagerStates(this, state, props);
  }

  /** `ExternalKeyStoreThrottle` over every operation and key spec of this external key store (a Metrics Insights query). */
  public metricExternalKeyStoreThrottle(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return metrics.externalKeyStoreThrottle(this, props);
  }

  /** `CloudHSMKeyStoreThrottle` over every operation of this CloudHSM key store (a Metrics Insights query). */
  public metricCloudHsmKeyStoreThrottle(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return metrics.cloudHsmKeyStoreThrottle(this, props);
  }

  /** Whether KMS could use the store at the connection watcher's last probe (1 or 0). */
  public metricAvailable(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    // Minimum: within a period, one failed probe makes it 0.
    return operationsMetric(this, AVAILABLE_METRIC, WATCH_INTERVAL, { statistic: cloudwatch.Stats.MINIMUM, ...props });
  }

  /** How long the connection watcher's probe of the store took, in milliseconds. */
  public metricProbeLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return operationsMetric(this, PROBE_LATENCY_METRIC, WATCH_INTERVAL, props);
  }

  /** Declares a KMS key in this store, as a child of the store (a convenience for `new CustomKeyStoreKey(...)`). */
  public addKey(id: string, options: CustomKeyStoreKeyOptions = {}): CustomKeyStoreKey {
    return new CustomKeyStoreKey(this, id, { ...options, customKeyStore: this });
  }
}

/**
 * A KMS custom key store (a CloudHSM key store or an external key store), which CloudFormation
 * cannot declare on its own.
 *
 * Backed by a custom resource that creates the store, connects it and waits; updates it in place,
 * disconnecting only for the changes KMS requires it for; and on deletion disconnects, then deletes
 * it, failing cleanly (and leaving the store as it was) while KMS keys remain in it.
 *
 * @resource Custom::KmsCustomKeyStore
 */
export class CustomKeyStore extends CustomKeyStoreBase {
  /** Refers to a custom key store made outside this stack, by its id. */
  public static fromCustomKeyStoreId(scope: Construct, id: string, customKeyStoreId: string): ICustomKeyStore {
    return CustomKeyStore.fromCustomKeyStoreAttributes(scope, id, { customKeyStoreId });
  }

  /** Refers to a custom key store made outside this stack, by its id and, optionally, its kind and name. */
  public static fromCustomKeyStoreAttributes(scope: Construct, id: string, attrs: CustomKeyStoreAttributes): ICustomKeyStore {
    class Import extends CustomKeyStoreBase {
      public readonly customKeyStoreId = attrs.customKeyStoreId;
      public readonly customKeyStoreType = attrs.customKeyStoreType;
      public readonly customKeyStoreName = attrs.customKeyStoreName;
    }
    const imported = new Import(scope, id);
    try {
      checkImportAttributes(imported, attrs);
    } catch (error) {
      // Leave the tree as it was, so that a caller who catches the error can try again with the same id.
      scope.node.tryRemoveChild(id);
      throw error;
    }
    return imported;
  }

  /**
   * The store's id, e.g. `cks-1234567890abcdef0`: a token (the custom resource's Ref), known after the deployment.
   *
   * @attribute
   */
  public readonly customKeyStoreId: string;

  /** The store's name (always set for a store declared here; optional only because an imported store may not know it). */
  public readonly customKeyStoreName?: string;

  /** The store's kind (always set for a store declared here; optional only because an imported store may not know it). */
  public readonly customKeyStoreType?: CustomKeyStoreType;

  /**
   * The connection state the last deployment left the store in: a token that resolves to one of
   * `ConnectionState`'s values (`CONNECTED` or `DISCONNECTED`).
   *
   * @attribute
   */
  public readonly connectionState: string;

  private readonly resource: CustomResource;
  /** The stack wants the store connected (`connected`, default true): what the connection alarm checks. */
  private readonly wantsConnected: boolean;
  private healthProbed = false;
  /** A CloudHSM key store's cluster, for the cluster's health alarm. */
  private readonly clusterId?: string;
  private connectionWatched = false;
  private credentialSynced = false;
  /** An external key store's proxy credential secret, whose access key id the drift check compares. */
  private readonly proxyCredential?: secretsmanager.ISecret;
  /** What the resource declares, for the watcher's drift check. */
  private readonly declaredProperties: KeyStoreResourceProperties;
  /** The keys declared in this store so far: declared to the watcher once the store is watched. */
  private readonly keys: KeyDeclaration[] = [];

  /** Declares a custom key store; its input is checked here, at synth time (see `CustomKeyStoreErrorCode`). */
  constructor(scope: Construct, id: string, props: CustomKeyStoreProps) {
    super(scope, id);
    checkField(this, 'customKeyStoreName', props.customKeyStoreName, rules.CUSTOM_KEY_STORE_NAME);
    // Checked for JavaScript callers, whom no compiler stops from leaving it out.
    const backendInput = props.backend as KeyStoreBackend | undefined;
    if (!backendInput || typeof (backendInput as Partial<KeyStoreBackend>)._bind !== 'function') {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, 'backend is required; expected KeyStoreBackend.cloudHsm(...), KeyStoreBackend.externalPublicEndpoint(...) or KeyStoreBackend.externalVpcEndpointService(...)', this);
    }
    const waitSeconds = waitTimeoutSeconds(this, props.waitTimeout);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    rejectSnapshot(this, removalPolicy);

    const backend = props.backend._bind(this);
    const provider = KeyStoreProvider.of(this);
    backend.secrets.forEach((secret) => { provider.grantSecret(secret); });
    if (backend.needsCloudHsmPermissions) {
      provider.grantCloudHsm();
    }
    if (backend.needsVpcEndpointServiceLookup) {
      provider.grantVpcEndpointServiceLookup();
    }
    if (props.adoptSendsSecrets && !props.adoptExisting) {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES, 'adoptSendsSecrets: applies only with adoptExisting: true; expected adoptExisting: true, or no adoptSendsSecrets', this);
    }
    if (props.adoptExisting) {
      provider.grantAdoptionRecords();
    }
    if (props.deferDeletion) {
      if (removalPolicy !== RemovalPolicy.DESTROY) {
        throw new CustomKeyStoreValidationError(
          CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES,
          `deferDeletion: applies only to a store the stack deletes; expected removalPolicy DESTROY (the default), or no deferDeletion (removalPolicy is ${removalPolicy})`,
          this,
        );
      }
      provider.grantDeferredDeletion();
    }

    const properties: KeyStoreResourceProperties = {
      CustomKeyStoreName: props.customKeyStoreName,
      CustomKeyStoreType: backend.customKeyStoreType,
      ...backend.properties,
      Connected: String(props.connected ?? true),
      WaitTimeoutSeconds: String(waitSeconds),
      // Written only when set, so that the templates of stores that do not adopt stay as they were.
      ...(props.adoptExisting ? { AdoptExisting: 'true' } : {}),
      ...(props.adoptExisting && props.adoptSendsSecrets ? { AdoptSendsSecrets: 'true' } : {}),
      ...(props.deferDeletion ? { DeferDeletion: 'true' } : {}),
    };
    const resource = (this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    }));

    this.customKeyStoreId = resource.ref;
    this.declaredProperties = properties;
    // At synth, when every key's removal policy is final.
    this.node.addValidation({
      validate: () => {
        warnOfUnfinishableTeardown(resource, this.keys.map((k) => k.owner), props.deferDeletion === true);
        return [];
      },
    });
    listenForKeys(this, (key) => {
      this.keys.push(key);
      if (this.connectionWatched) ConnectionWatcher.of(this).declare(key.owner, key.declared, key.key);
    });
    this.customKeyStoreName = props.customKeyStoreName;
    this.customKeyStoreType = backend.customKeyStoreType;
    this.connectionState = resource.getAttString('ConnectionState');
    this.wantsConnected = props.connected ?? true;
    this.clusterId = backend.clusterId;
    this.proxyCredential = backend.proxyCredential;
    if (props.connected === false) {
      recordDeclaredDisconnected(this);
    }
    if (props.syncProxyCredential) {
      if (!backend.proxyCredential) {
        throw new CustomKeyStoreValidationError(
          CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH,
          'syncProxyCredential: applies to external key stores only; a CloudHSM key store has no proxy credential, and KMS rotates its kmsuser password itself on every connect (see the README, "The kmsuser password")',
          this,
        );
      }
      this.credentialSynced = true;
      ProxyCredentialSync.of(this).sync(this, this.customKeyStoreId, backend.proxyCredential);
    }
    // After the sync is known: a synced store's credential follows its secret, not the deployment.
    if (props.monitorConnection) {
      this.monitorConnection();
    }
  }

  /**
   * Reports this store's connection state with the stack's connection watcher (as the
   * `monitorConnection` property does). Idempotent.
   */
  public monitorConnection(): void {
    if (!this.connectionWatched) {
      this.connectionWatched = true;
      const watcher = ConnectionWatcher.of(this);
      watcher.watch(this.customKeyStoreId, this.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM);
      // Watched means compared with its declaration too, with the keys declared in it so far (and later).
      // A synced store's access key id follows its secret's rotations, which the deployed declaration does not.
      const credential = this.credentialSynced ? undefined : this.proxyCredential;
      watcher.declare(this, declaredStore(this, this.customKeyStoreId, this.declaredProperties, credential));
      this.keys.forEach((key) => { watcher.declare(key.owner, key.declared, key.key); });
    }
  }

  /**
   * Has the connection watcher probe this external key store each minute by encrypting a few
   * fixed bytes with `key`, a key in this store, so that a proxy or external key manager that
   * fails is seen even when no application uses the store (KMS publishes its XKS metrics only with
   * traffic). Turns the watcher on; the watcher's role gets `kms:Encrypt` on this key only. Call it
   * before `addRecommendedAlarms()`, which then adds the store's Unavailable alarm.
   *
   * CloudHSM key stores need no key: the watcher probes them with GenerateRandom in their cluster.
   */
  public useHealthProbeKey(key: CustomKeyStoreKey): void {
    if (this.customKeyStoreType !== CustomKeyStoreType.EXTERNAL_KEY_STORE) {
      throw new CustomKeyStoreValidationError(
        CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH,
        'useHealthProbeKey: the store is a CloudHSM key store, which the connection watcher probes with GenerateRandom in its cluster, without a key; expected an external key store',
        this,
      );
    }
    if (this.node.tryFindChild('RecommendedAlarms')) {
      throw new CustomKeyStoreValidationError(
        CustomKeyStoreErrorCode.ALREADY_ADDED,
        'useHealthProbeKey: addRecommendedAlarms() was already called for this store, without its Unavailable alarm; expected useHealthProbeKey() first',
        this,
      );
    }
    this.monitorConnection();
    this.healthProbed = true;
    ConnectionWatcher.of(this).probeWith(this.customKeyStoreId, key);
  }

  /** Whether KMS could use the store at the watcher's last probe; turns the watcher on, as `metricConnected()` does. */
  public metricAvailable(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.monitorConnection();
    return super.metricAvailable(props);
  }

  /** How long the watcher's probe took, in milliseconds; turns the watcher on. */
  public metricProbeLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.monitorConnection();
    return super.metricProbeLatency(props);
  }

  /**
   * Whether the store is CONNECTED: 1 if it is, 0 if not (or if KMS does not show it), published
   * every minute by the stack's connection watcher in the `KmsCustomKeyStores` namespace, for
   * either kind of store. Calling this turns the watcher on for this store (as `monitorConnection()`
   * does), since nothing else publishes the metric.
   *
   * @default - statistic Maximum, period 1 minute
   */
  public metricConnected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.monitorConnection();
    return operationsMetric(this, CONNECTED_METRIC, WATCH_INTERVAL, props);
  }

  /**
   * Whether the store differs from what the stack declares: 1 when what KMS shows of the store
   * (name, type, CloudHSM cluster and trust anchor, XKS proxy endpoint, path, connectivity, VPC
   * endpoint service name and owner, the proxy credential's access key id unless
   * `syncProxyCredential` keeps it in line) or of a key the stack declares in it (enabled or disabled, not
   * pending deletion, description) was changed outside the stack, else 0. Published every minute
   * by the stack's connection watcher in the `KmsCustomKeyStores` namespace, except while the store
   * is CONNECTING or DISCONNECTING; its log names each field that differs. Secrets (the kmsuser
   * password, the proxy credential) are never compared: KMS does not show them. Calling this turns
   * the watcher on for this store.
   *
   * @default - statistic Maximum, period 1 minute
   */
  public metricConfigurationDrift(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.monitorConnection();
    return operationsMetric(this, CONFIGURATION_DRIFT_METRIC, WATCH_INTERVAL, props);
  }

  /**
   * How many of the keys the stack declares in this store differ from their declaration (see
   * `metricConfigurationDrift()`), published with it. Calling this turns the watcher on.
   *
   * @default - statistic Maximum, period 1 minute
   */
  public metricDriftedKeys(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    this.monitorConnection();
    return operationsMetric(this, DRIFTED_KEYS_METRIC, WATCH_INTERVAL, props);
  }

  /**
   * Whether the proxy credential sync could not bring the store's XKS proxy credential in line
   * with its secret: 1 when KMS rejected the secret's credential or the secret is unusable, else 0,
   * published by the stack's credential sync (every five minutes, and on each rotation) in the
   * `KmsCustomKeyStores` namespace. Only for a store declared with `syncProxyCredential: true`.
   *
   * @default - statistic Maximum, period 5 minutes
   */
  public metricProxyCredentialSyncFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.credentialSynced) {
      throw new CustomKeyStoreValidationError(
        CustomKeyStoreErrorCode.FEATURE_NOT_ENABLED,
        'metricProxyCredentialSyncFailed: the store was not declared with syncProxyCredential: true, so nothing publishes this metric for it; expected a store declared with syncProxyCredential: true',
        this,
      );
    }
    return operationsMetric(this, CREDENTIAL_SYNC_FAILED_METRIC, SYNC_INTERVAL, props);
  }

  /**
   * Adds the alarms this store should have, and returns them: for an external key store those the
   * KMS Developer Guide recommends (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html:
   * proxy certificate expiry, proxy latency, retryable and non-retryable proxy errors), the
   * external key manager Degraded or Unavailable, the proxy credential's age, and with
   * `syncProxyCredential` the sync's failures; for a CloudHSM key store its cluster's health
   * (`AWS/CloudHSM` HsmUnhealthy). For a store the stack wants connected, an alarm on
   * `metricConnected()` too, which turns the connection watcher on.
   *
   * The alarms are children of the store's `RecommendedAlarms` construct. Call it once per store: a
   * second call is refused (add further actions to the alarms the first call returned).
   */
  public addRecommendedAlarms(options: RecommendedAlarmsOptions = {}): cloudwatch.Alarm[] {
    // A store not wanted connected is not watched, so not probed either.
    const probed = this.wantsConnected && (this.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM || this.healthProbed);
    return addRecommendedAlarms(this, { wantsConnected: this.wantsConnected, clusterId: this.clusterId, credentialSynced: this.credentialSynced, probed }, options);
  }

  /**
   * Sets what happens to the store when it leaves the stack, as the `removalPolicy` property does.
   *
   * SNAPSHOT is not supported.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    rejectSnapshot(this, policy);
    this.resource.applyRemovalPolicy(policy);
  }

  /**
   * What a dashboard shows of the store beyond its public API, as it stands when asked.
   *
   * @internal
   */
  public _dashboardFacts(): DashboardStoreFacts {
    return { clusterId: this.clusterId, credentialSynced: this.credentialSynced, healthProbed: this.healthProbed };
  }
}

/** One of the metrics the library's own functions publish for a store declared here. */
function operationsMetric(store: CustomKeyStoreBase, metricName: string, period: Duration, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: OPERATIONS_NAMESPACE,
    metricName,
    statistic: cloudwatch.Stats.MAXIMUM,
    period,
    ...props,
    dimensionsMap: { ...props.dimensionsMap, [STORE_ID_DIMENSION]: store.customKeyStoreId },
  });
}

function checkImportAttributes(scope: IConstruct, attrs: CustomKeyStoreAttributes): void {
  const storeId = attrs.customKeyStoreId as unknown;
  if (typeof storeId !== 'string' || (!Token.isUnresolved(storeId) && !STORE_ID_PATTERN.test(storeId))) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `customKeyStoreId: '${rules.abbreviate(String(storeId))}' is not a custom key store id; expected 'cks-' followed by letters and digits, e.g. 'cks-1234567890abcdef0'`, scope);
  }
  checkOptionalField(scope, 'customKeyStoreName', attrs.customKeyStoreName, rules.CUSTOM_KEY_STORE_NAME);
  const knownTypes: unknown[] = Object.values(CustomKeyStoreType);
  if (attrs.customKeyStoreType !== undefined && !knownTypes.includes(attrs.customKeyStoreType)) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `customKeyStoreType: '${attrs.customKeyStoreType}' is not a custom key store type; expected CustomKeyStoreType.AWS_CLOUDHSM or CustomKeyStoreType.EXTERNAL_KEY_STORE`, scope);
  }
}

function rejectSnapshot(scope: IConstruct, policy: RemovalPolicy): void {
  if (policy === RemovalPolicy.SNAPSHOT) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, 'removalPolicy: SNAPSHOT is not supported by custom key stores; expected DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE', scope);
  }
}

function waitTimeoutSeconds(scope: IConstruct, wait: Duration | undefined): number {
  if (wait === undefined) {
    return DEFAULT_WAIT_SECONDS;
  }
  if (Token.isUnresolved(wait.toString()) || wait.isUnresolved()) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, 'waitTimeout: is a token; expected a literal Duration, because the provider plans its polling at synth time', scope);
  }
  const seconds = wait.toSeconds();
  if (!Number.isInteger(seconds) || seconds < MIN_WAIT_SECONDS || seconds > MAX_WAIT_SECONDS) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.OUT_OF_RANGE, `waitTimeout: ${wait.toHumanString()} is out of range; expected whole seconds from 1 minute to ${MAX_WAIT_SECONDS / 60} minutes (the provider framework stops at 1 hour, CloudFormation's limit for a custom resource)`, scope);
  }
  return seconds;
}
