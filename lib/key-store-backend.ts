import { Stack, Token } from 'aws-cdk-lib';
import * as cloudhsm from 'aws-cdk-lib/aws-cloudhsm';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import * as rules from './private/contract/field-rules';
import { CustomKeyStoreType } from './custom-key-store-type';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from './errors';
import { KeyStoreBackendConfig } from './private/backend-config';
import { PUBLIC_ENDPOINT, VPC_ENDPOINT_SERVICE } from './private/contract/store-properties';
import {
  CERTIFICATE_HINTS,
  checkField,
  checkOptionalField,
  CLUSTER_ID_HINTS,
  ENDPOINT_HINTS,
  OWNER_HINTS,
  PATH_HINTS,
  VPC_SERVICE_NAME_HINTS,
} from './private/validation';

/** Properties of a key store backed by an AWS CloudHSM cluster. */
export interface CloudHsmBackendProps {
  /**
   * The id of the active CloudHSM cluster, e.g. `cluster-2a23b4cdefg`: `cluster-` and 11-16 characters of [2-7a-zA-Z].
   *
   * The cluster must not back another custom key store and needs at least two active HSMs in
   * different Availability Zones. It can change later only to a cluster of the same backup lineage.
   *
   * Give exactly one of `clusterId` and `cluster`.
   *
   * @default - the id of `cluster`
   */
  readonly clusterId?: string;

  /**
   * The cluster as an `AWS::CloudHSM::Cluster` resource declared with aws-cdk-lib's L1
   * `aws_cloudhsm.CfnCluster`: the store takes the cluster's id from its `ClusterId` attribute,
   * and so is created after it.
   *
   * That resource makes the cluster only: no HSMs, no initialization, no activation, no kmsuser.
   * KMS creates the store only in an active cluster with the kmsuser crypto user, so do those
   * steps (with the CloudHSM CLI) between a first deployment that creates the cluster and the one
   * that adds the store: see the README, "A cluster declared in the stack".
   *
   * Give exactly one of `clusterId` and `cluster`.
   *
   * @default - the cluster named by `clusterId`
   */
  readonly cluster?: cloudhsm.CfnCluster;

  /**
   * The content (not the path) of the `customerCA.crt` file made when the cluster was initialized.
   *
   * Changing it needs a new store: see the README's lifecycle table.
   */
  readonly trustAnchorCertificate: string;

  /**
   * A secret whose value, as plain text, is the password of the `kmsuser` crypto user (7-32 characters).
   *
   * The handler reads it at run time; it never appears in the template or the resource properties.
   *
   * It is a bootstrap credential: KMS rotates kmsuser's password on every connect, so after the
   * store first connects only KMS knows the current password, and the secret's value is stale.
   * Do not rotate this secret with Secrets Manager, and do not change its value in place
   * (CloudFormation never sees a new value under the same secret ARN). To give KMS a new password,
   * which is needed only after kmsuser's password was reset in the cluster (for example after
   * `INVALID_CREDENTIALS` or `USER_LOCKED_OUT`): reset it in the cluster, put it in a new secret and
   * point this property at that secret. The store is disconnected, updated and reconnected. If KMS
   * cannot log in with it, the deployment fails and says so; CloudFormation's rollback then leaves
   * the password as it is and the store disconnected (the old password was rotated away and cannot
   * be sent again), and deploying the change again once the cluster has that password fixes it.
   */
  readonly keyStorePassword: secretsmanager.ISecret;
}

/** Properties common to both kinds of external key store. */
export interface ExternalBackendProps {
  /**
   * The XKS proxy's endpoint: `https://` and a host name, with no port and no path.
   *
   * @example 'https://myproxy.xks.example.com'
   */
  readonly proxyUriEndpoint: string;

  /**
   * The XKS proxy's base path: an optional prefix, then `/kms/xks/v1`.
   *
   * @example '/example-prefix/kms/xks/v1'
   */
  readonly proxyUriPath: string;

  /**
   * A secret whose value is JSON `{"accessKeyId": "...", "secretAccessKey": "..."}`: the SigV4
   * credential the XKS proxy issued for KMS.
   */
  readonly proxyCredential: secretsmanager.ISecret;
}

/** Properties of an external key store whose proxy KMS reaches through a VPC endpoint service. */
export interface ExternalVpcEndpointServiceBackendProps extends ExternalBackendProps {
  /**
   * The name of the VPC endpoint service in front of the proxy.
   *
   * @example 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'
   */
  readonly vpcEndpointServiceName: string;

  /**
   * The account that owns the VPC endpoint service, when it is not this stack's account.
   *
   * @default - the endpoint service is owned by the stack's account
   */
  readonly vpcEndpointServiceOwner?: string;
}

/**
 * Where a custom key store keeps its key material: a CloudHSM cluster or an external key manager
 * behind an XKS proxy. Made with one of the static methods.
 */
export class KeyStoreBackend {
  /** A key store backed by an AWS CloudHSM cluster. */
  public static cloudHsm(props: CloudHsmBackendProps): KeyStoreBackend {
    return new KeyStoreBackend(CustomKeyStoreType.AWS_CLOUDHSM, (scope) => bindCloudHsm(scope, props));
  }

  /** An external key store whose proxy KMS reaches at a public endpoint. */
  public static externalPublicEndpoint(props: ExternalBackendProps): KeyStoreBackend {
    return new KeyStoreBackend(CustomKeyStoreType.EXTERNAL_KEY_STORE, (scope) => bindExternal(scope, props, PUBLIC_ENDPOINT, undefined, undefined));
  }

  /** An external key store whose proxy KMS reaches through a VPC endpoint service. */
  public static externalVpcEndpointService(props: ExternalVpcEndpointServiceBackendProps): KeyStoreBackend {
    return new KeyStoreBackend(CustomKeyStoreType.EXTERNAL_KEY_STORE, (scope) =>
      bindExternal(scope, props, VPC_ENDPOINT_SERVICE, props.vpcEndpointServiceName, props.vpcEndpointServiceOwner),
    );
  }

  /** The kind of store this backend makes. */
  public readonly customKeyStoreType: CustomKeyStoreType;

  // A closed set of backends: the constructor is private so that no other language can subclass
  // one, and what a backend adds to a store stays internal (`_bind`), free to change.
  private constructor(
    customKeyStoreType: CustomKeyStoreType,
    private readonly binder: (scope: Construct) => KeyStoreBackendConfig,
  ) {
    this.customKeyStoreType = customKeyStoreType;
  }

  /**
   * Checks the backend's input and returns what it adds to the store `scope` declares.
   *
   * @internal
   */
  public _bind(scope: Construct): KeyStoreBackendConfig {
    return this.binder(scope);
  }
}

function bindCloudHsm(scope: Construct, props: CloudHsmBackendProps): KeyStoreBackendConfig {
  rejectOtherKind(scope, props, 'proxyCredential', 'KeyStoreBackend.cloudHsm', 'the kmsuser password (keyStorePassword)');
  const clusterId = clusterIdOf(scope, props);
  checkField(scope, 'trustAnchorCertificate', props.trustAnchorCertificate, rules.TRUST_ANCHOR_CERTIFICATE, CERTIFICATE_HINTS);
  requireSecret(scope, 'keyStorePassword', props.keyStorePassword, 'a secret holding the kmsuser password as plain text');
  return {
    customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM,
    properties: {
      CloudHsmClusterId: clusterId,
      TrustAnchorCertificate: props.trustAnchorCertificate,
      KeyStorePasswordSecretArn: props.keyStorePassword.secretArn,
    },
    secrets: [props.keyStorePassword],
    clusterId,
    needsCloudHsmPermissions: true,
    needsVpcEndpointServiceLookup: false,
  };
}

function bindExternal(
  scope: Construct,
  props: ExternalBackendProps,
  connectivity: string,
  vpcEndpointServiceName: string | undefined,
  vpcEndpointServiceOwner: string | undefined,
): KeyStoreBackendConfig {
  rejectOtherKind(scope, props, 'keyStorePassword', 'An external key store', 'the proxy credential (proxyCredential)');
  checkField(scope, 'proxyUriEndpoint', props.proxyUriEndpoint, rules.XKS_PROXY_URI_ENDPOINT, ENDPOINT_HINTS);
  checkField(scope, 'proxyUriPath', props.proxyUriPath, rules.XKS_PROXY_URI_PATH, PATH_HINTS);
  requireSecret(scope, 'proxyCredential', props.proxyCredential, 'a secret holding JSON {"accessKeyId": "...", "secretAccessKey": "..."}');
  const properties: { [key: string]: string } = {
    XksProxyUriEndpoint: props.proxyUriEndpoint,
    XksProxyUriPath: props.proxyUriPath,
    XksProxyConnectivity: connectivity,
    XksProxyCredentialSecretArn: props.proxyCredential.secretArn,
  };
  let crossAccount = false;
  if (connectivity === VPC_ENDPOINT_SERVICE) {
    checkField(scope, 'vpcEndpointServiceName', vpcEndpointServiceName, rules.XKS_VPC_ENDPOINT_SERVICE_NAME, VPC_SERVICE_NAME_HINTS);
    checkOptionalField(scope, 'vpcEndpointServiceOwner', vpcEndpointServiceOwner, rules.XKS_VPC_ENDPOINT_SERVICE_OWNER, OWNER_HINTS);
    properties.XksProxyVpcEndpointServiceName = vpcEndpointServiceName as string;
    if (vpcEndpointServiceOwner !== undefined) {
      properties.XksProxyVpcEndpointServiceOwner = vpcEndpointServiceOwner;
      const account = Stack.of(scope).account;
      // When either side is unknown at synth time, assume another account: the lookup is then needed.
      crossAccount = Token.isUnresolved(account) || Token.isUnresolved(vpcEndpointServiceOwner) || account !== vpcEndpointServiceOwner;
    }
  }
  return {
    customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE,
    properties,
    secrets: [props.proxyCredential],
    proxyCredential: props.proxyCredential,
    needsCloudHsmPermissions: false,
    needsVpcEndpointServiceLookup: crossAccount,
  };
}

/** The cluster's id from exactly one of `clusterId` and `cluster`: a literal id, or the cluster resource's `ClusterId` attribute. */
function clusterIdOf(scope: Construct, props: CloudHsmBackendProps): string {
  if (props.cluster !== undefined && props.clusterId !== undefined) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES, 'clusterId and cluster are both given; expected exactly one of them (cluster for an AWS::CloudHSM::Cluster declared with aws_cloudhsm.CfnCluster, clusterId for any other cluster)', scope);
  }
  if (props.cluster === undefined) {
    if (props.clusterId === undefined) {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, `clusterId or cluster is required; expected clusterId: ${rules.CLOUD_HSM_CLUSTER_ID.rule}, or cluster: an aws_cloudhsm.CfnCluster`, scope);
    }
    checkField(scope, 'clusterId', props.clusterId, rules.CLOUD_HSM_CLUSTER_ID, CLUSTER_ID_HINTS);
    return props.clusterId;
  }
  // Checked for JavaScript callers, whom no compiler stops from passing an id or another resource.
  if (!cloudhsm.CfnCluster.isCfnCluster(props.cluster)) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, 'cluster: is not an AWS::CloudHSM::Cluster resource; expected an aws_cloudhsm.CfnCluster (for a cluster id, use clusterId)', scope);
  }
  return props.cluster.attrClusterId;
}

/** A JavaScript caller can hand one kind of store the other kind's secret: say so rather than ignore it. */
function rejectOtherKind(scope: Construct, props: object, property: string, kind: string, own: string): void {
  if (property in props) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, `${property} does not apply here: ${kind} takes ${own} only; expected one secret of the store's own kind`, scope);
  }
}

/** Checked for JavaScript callers, whom no compiler stops from passing a string or nothing. */
function requireSecret(scope: Construct, property: string, secret: unknown, what: string): void {
  if (typeof secret !== 'object' || secret === null || typeof (secret as Partial<secretsmanager.ISecret>).secretArn !== 'string') {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, `${property} is required; expected ${what} (a secretsmanager.ISecret, never the value itself)`, scope);
  }
}
