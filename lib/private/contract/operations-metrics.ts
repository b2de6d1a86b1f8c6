/**
 * What the connection watcher and the proxy credential sync publish, and how the library hands them
 * their stores: shared by the constructs (lib/) that alarm on these metrics and the functions
 * (lambda/connection-watcher/, lambda/proxy-credential-sync/) that publish them.
 */

/** Custom metrics may not use an `AWS/` namespace; this one holds the library's own. */
export const OPERATIONS_NAMESPACE = 'KmsCustomKeyStores';

/** 1 when the store's ConnectionState is CONNECTED, else 0 (a store KMS does not show counts as 0). */
export const CONNECTED_METRIC = 'Connected';

/** 1 for each store that is not connected, with its ConnectionErrorCode (or the state, when KMS gives no code) as a dimension. */
export const CONNECTION_ERROR_METRIC = 'ConnectionError';

/** 1 when the store's proxy credential could not be brought in line with its secret (KMS rejected it, or the secret is unusable), else 0. */
export const CREDENTIAL_SYNC_FAILED_METRIC = 'ProxyCredentialSyncFailed';

/**
 * The availability probe: 1 when KMS could use the CONNECTED store just now (GenerateRandom in a
 * CloudHSM key store's cluster, Encrypt with an external key store's probe key), 0 when the probe
 * failed; nothing when the store is not CONNECTED (Connected says so) or the probe was inconclusive
 * (throttled, or the store left CONNECTED between the read and the probe).
 */
export const AVAILABLE_METRIC = 'Available';

/** How long the probe's one KMS call took, in milliseconds, whatever its outcome. */
export const PROBE_LATENCY_METRIC = 'ProbeLatency';

/** 1 for each probe that failed, with the exception's name as a dimension. */
export const PROBE_ERROR_METRIC = 'ProbeError';

export const STORE_ID_DIMENSION = 'CustomKeyStoreId';
export const EXCEPTION_NAME_DIMENSION = 'ExceptionName';
export const ERROR_CODE_DIMENSION = 'ConnectionErrorCode';

/** The watcher's environment: a JSON array of store ids. */
export const WATCHED_STORES_ENV = 'WATCHED_CUSTOM_KEY_STORE_IDS';

/** The watcher's environment: a JSON object from store id to the ARN of its probe key (external key stores that have one). */
export const PROBE_KEYS_ENV = 'HEALTH_PROBE_KEYS';

/** The credential sync's environment: a JSON array of SyncTarget. */
export const SYNC_TARGETS_ENV = 'PROXY_CREDENTIAL_SYNC_TARGETS';

/** One external key store whose proxy credential follows a secret. */
export interface SyncTarget {
  readonly storeId: string;
  /** The secret's ARN as the stack knows it: full, or partial (no random suffix) for a secret imported by name. */
  readonly secretArn: string;
  /**
   * The name of the SSM parameter in which the sync remembers the secret version it last gave KMS
   * (KMS shows the AccessKeyId it holds, never the secret access key, so only this tells a new
   * secret access key under the same id).
   */
  readonly stateParameter: string;
}

/** The state parameter's value before the sync's first run: no version applied yet. */
export const NO_VERSION_APPLIED = 'none';

/**
 * 1 when what KMS shows of the store, or of a key the stack declares in it, differs from what the
 * stack declares (a change made in the console or with the CLI, which CloudFormation's drift
 * detection does not see for custom resources), else 0. Not published while the store is
 * CONNECTING or DISCONNECTING (a deployment's offline update is under way) or not found.
 */
export const CONFIGURATION_DRIFT_METRIC = 'ConfigurationDrift';

/** How many of the keys the stack declares in the store differ from their declaration (state or description). */
export const DRIFTED_KEYS_METRIC = 'DriftedKeys';

/**
 * Where CloudFormation writes what the stack declares of each watched store and its keys: one
 * String parameter each, directly under `<prefix>/<stack name>`, whose value is a DeclaredStore or
 * DeclaredKey as JSON. The watcher reads them all with GetParametersByPath, so no deployment of
 * the watcher and no environment variable (4 KB in all) carries them.
 */
export const DECLARED_CONFIGURATION_PREFIX = '/cdk-kms-custom-key-store/declared';

/** The watcher's environment: the path (`<prefix>/<stack name>`) under which the declarations are. */
export const DECLARED_CONFIGURATION_PATH_ENV = 'DECLARED_CONFIGURATION_PATH';

/**
 * What the stack declares of a store, as far as KMS shows it. Never a secret: KMS shows neither the
 * kmsuser password nor the secret access key, and neither is here.
 */
export interface DeclaredStore {
  readonly kind: 'store';
  readonly storeId: string;
  readonly name: string;
  readonly type: string;
  readonly clusterId?: string;
  /** The PEM, compared without its line breaks. */
  readonly trustAnchorCertificate?: string;
  readonly uriEndpoint?: string;
  readonly uriPath?: string;
  readonly connectivity?: string;
  readonly vpcEndpointServiceName?: string;
  /** The declared owner, or the stack's account when none is declared (compared only when KMS shows an owner). */
  readonly vpcEndpointServiceOwner?: string;
  /**
   * The proxy credential's access key id as the secret held it at deployment (KMS shows it as
   * `XksProxyConfiguration.AccessKeyId`); absent for a store whose credential the sync keeps in line.
   */
  readonly proxyAccessKeyId?: string;
}

/** What the stack declares of a key in a watched store. */
export interface DeclaredKey {
  readonly kind: 'key';
  readonly storeId: string;
  readonly keyId: string;
  /** `"true"` or `"false"`. */
  readonly enabled: string;
  /** Absent: no description declared (KMS shows an empty one). */
  readonly description?: string;
}
