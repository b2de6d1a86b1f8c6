import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import * as rules from './private/contract/field-rules';
import { CLOUD_HSM, EXTERNAL_KEY_STORE, PUBLIC_ENDPOINT, VPC_ENDPOINT_SERVICE } from './private/contract/resource-properties';
import {
  CERTIFICATE_HINTS,
  checkField,
  checkOptionalField,
  CLUSTER_ID_HINTS,
  CustomKeyStoreValidationError,
  ENDPOINT_HINTS,
  OWNER_HINTS,
  PATH_HINTS,
  VPC_SERVICE_NAME_HINTS,
} from './private/validation';

/** Properties of a key store backed by an AWS CloudHSM cluster. */
export interface CloudHsmBackendProps {
  /**
   * The id of the active CloudHSM cluster, e.g. `cluster-1a23b4cdefg`.
   *
   * The cluster must not back another custom key store and needs at least two active HSMs in
   * different Availability Zones. It can change later only to a cluster of the same backup lineage.
   */
  readonly clusterId: string;

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

/** What a backend adds to the store's resource and to the handler's permissions. */
export interface KeyStoreBackendConfig {
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  readonly customKeyStoreType: string;
  /** Resource properties, every value a string or a token. */
  readonly properties: { [key: string]: string };
  /** Secrets the handler must be able to read. */
  readonly secrets: secretsmanager.ISecret[];
  /** The handler needs `cloudhsm:DescribeClusters` and the KMS service-linked role. */
  readonly needsCloudHsmPermissions: boolean;
  /** The VPC endpoint service may be owned by another account: the handler needs `ec2:DescribeVpcEndpointServices`. */
  readonly needsVpcEndpointServiceLookup: boolean;
}

/**
 * Where a custom key store keeps its key material: a CloudHSM cluster or an external key manager
 * behind an XKS proxy.
 */
export abstract class KeyStoreBackend {
  /** A key store backed by an AWS CloudHSM cluster. */
  public static cloudHsm(props: CloudHsmBackendProps): KeyStoreBackend {
    return new CloudHsmBackend(props);
  }

  /** An external key store whose proxy KMS reaches at a public endpoint. */
  public static externalPublicEndpoint(props: ExternalBackendProps): KeyStoreBackend {
    return new ExternalBackend(props, PUBLIC_ENDPOINT, undefined, undefined);
  }

  /** An external key store whose proxy KMS reaches through a VPC endpoint service. */
  public static externalVpcEndpointService(props: ExternalVpcEndpointServiceBackendProps): KeyStoreBackend {
    return new ExternalBackend(props, VPC_ENDPOINT_SERVICE, props.vpcEndpointServiceName, props.vpcEndpointServiceOwner);
  }

  /** Checks the backend's input and returns what it adds to the store `scope` declares. */
  public abstract bind(scope: Construct): KeyStoreBackendConfig;
}

class CloudHsmBackend extends KeyStoreBackend {
  constructor(private readonly props: CloudHsmBackendProps) {
    super();
  }

  public bind(_scope: Construct): KeyStoreBackendConfig {
    rejectOtherKind(this.props, 'proxyCredential', 'KeyStoreBackend.cloudHsm', 'the kmsuser password (keyStorePassword)');
    checkField('clusterId', this.props.clusterId, rules.CLOUD_HSM_CLUSTER_ID, CLUSTER_ID_HINTS);
    checkField('trustAnchorCertificate', this.props.trustAnchorCertificate, rules.TRUST_ANCHOR_CERTIFICATE, CERTIFICATE_HINTS);
    requireSecret('keyStorePassword', this.props.keyStorePassword, 'a secret holding the kmsuser password as plain text');
    return {
      customKeyStoreType: CLOUD_HSM,
      properties: {
        CloudHsmClusterId: this.props.clusterId,
        TrustAnchorCertificate: this.props.trustAnchorCertificate,
        KeyStorePasswordSecretArn: this.props.keyStorePassword.secretArn,
      },
      secrets: [this.props.keyStorePassword],
      needsCloudHsmPermissions: true,
      needsVpcEndpointServiceLookup: false,
    };
  }
}

class ExternalBackend extends KeyStoreBackend {
  constructor(
    private readonly props: ExternalBackendProps,
    private readonly connectivity: string,
    private readonly vpcEndpointServiceName: string | undefined,
    private readonly vpcEndpointServiceOwner: string | undefined,
  ) {
    super();
  }

  public bind(scope: Construct): KeyStoreBackendConfig {
    rejectOtherKind(this.props, 'keyStorePassword', 'An external key store', 'the proxy credential (proxyCredential)');
    checkField('proxyUriEndpoint', this.props.proxyUriEndpoint, rules.XKS_PROXY_URI_ENDPOINT, ENDPOINT_HINTS);
    checkField('proxyUriPath', this.props.proxyUriPath, rules.XKS_PROXY_URI_PATH, PATH_HINTS);
    requireSecret('proxyCredential', this.props.proxyCredential, 'a secret holding JSON {"accessKeyId": "...", "secretAccessKey": "..."}');
    const properties: { [key: string]: string } = {
      XksProxyUriEndpoint: this.props.proxyUriEndpoint,
      XksProxyUriPath: this.props.proxyUriPath,
      XksProxyConnectivity: this.connectivity,
      XksProxyCredentialSecretArn: this.props.proxyCredential.secretArn,
    };
    let crossAccount = false;
    if (this.connectivity === VPC_ENDPOINT_SERVICE) {
      checkField('vpcEndpointServiceName', this.vpcEndpointServiceName, rules.XKS_VPC_ENDPOINT_SERVICE_NAME, VPC_SERVICE_NAME_HINTS);
      checkOptionalField('vpcEndpointServiceOwner', this.vpcEndpointServiceOwner, rules.XKS_VPC_ENDPOINT_SERVICE_OWNER, OWNER_HINTS);
      properties.XksProxyVpcEndpointServiceName = this.vpcEndpointServiceName as string;
      if (this.vpcEndpointServiceOwner !== undefined) {
        properties.XksProxyVpcEndpointServiceOwner = this.vpcEndpointServiceOwner;
        const account = Stack.of(scope).account;
        // When either side is unknown at synth time, assume another account: the lookup is then needed.
        crossAccount = Token.isUnresolved(account) || Token.isUnresolved(this.vpcEndpointServiceOwner) || account !== this.vpcEndpointServiceOwner;
      }
    }
    return {
      customKeyStoreType: EXTERNAL_KEY_STORE,
      properties,
      secrets: [this.props.proxyCredential],
      needsCloudHsmPermissions: false,
      needsVpcEndpointServiceLookup: crossAccount,
    };
  }
}

/** A JavaScript caller can hand one kind of store the other kind's secret: say so rather than ignore it. */
function rejectOtherKind(props: object, property: string, kind: string, own: string): void {
  if (property in props) {
    throw new CustomKeyStoreValidationError(`${property} does not apply here: ${kind} takes ${own} only; expected one secret of the store's own kind`);
  }
}

/** Checked for JavaScript callers, whom no compiler stops from passing a string or nothing. */
function requireSecret(property: string, secret: unknown, what: string): void {
  if (typeof secret !== 'object' || secret === null || typeof (secret as Partial<secretsmanager.ISecret>).secretArn !== 'string') {
    throw new CustomKeyStoreValidationError(`${property} is required; expected ${what} (a secretsmanager.ISecret, never the value itself)`);
  }
}
