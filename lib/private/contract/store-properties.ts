/**
 * The contract between the construct and the handler: the ResourceProperties of one
 * `Custom::KmsCustomKeyStore` resource.
 *
 * CloudFormation delivers every scalar as a string, and the whole event is kept in the Step
 * Functions execution history, so secrets travel as Secrets Manager ARNs and are read by the
 * handler at run time.
 */

export const RESOURCE_TYPE = 'Custom::KmsCustomKeyStore';

export const CLOUD_HSM = 'AWS_CLOUDHSM';
export const EXTERNAL_KEY_STORE = 'EXTERNAL_KEY_STORE';
export const PUBLIC_ENDPOINT = 'PUBLIC_ENDPOINT';
export const VPC_ENDPOINT_SERVICE = 'VPC_ENDPOINT_SERVICE';

/** Default, smallest and largest wait, in seconds, for a store to reach its desired connection state. */
export const DEFAULT_WAIT_SECONDS = 45 * 60;
export const MIN_WAIT_SECONDS = 60;
export const MAX_WAIT_SECONDS = 55 * 60;

/** What a custom key store id looks like (`cks-` and 17 hex digits in practice). */
export const STORE_ID_PATTERN = /^cks-[a-zA-Z0-9]+$/;

export interface KeyStoreResourceProperties {
  readonly CustomKeyStoreName: string;
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  readonly CustomKeyStoreType: string;
  readonly CloudHsmClusterId?: string;
  readonly TrustAnchorCertificate?: string;
  /** ARN of a secret whose SecretString is the kmsuser password. */
  readonly KeyStorePasswordSecretArn?: string;
  readonly XksProxyUriEndpoint?: string;
  readonly XksProxyUriPath?: string;
  /** `PUBLIC_ENDPOINT` or `VPC_ENDPOINT_SERVICE`. */
  readonly XksProxyConnectivity?: string;
  readonly XksProxyVpcEndpointServiceName?: string;
  readonly XksProxyVpcEndpointServiceOwner?: string;
  /** ARN of a secret whose SecretString is JSON `{"accessKeyId": "...", "secretAccessKey": "..."}`. */
  readonly XksProxyCredentialSecretArn?: string;
  /** `"true"` or `"false"`: the desired connection state. */
  readonly Connected: string;
  /** How long, in seconds, one create, update or delete may wait for the store. */
  readonly WaitTimeoutSeconds?: string;
  /** `"true"`: a Create takes over a store of this name made outside the stack. Absent means false. */
  readonly AdoptExisting?: string;
  /** `"true"`: an adoption also sends the kmsuser password or proxy credential. Absent means false. */
  readonly AdoptSendsSecrets?: string;
  /** `"true"`: a delete that must wait for keys pending deletion hands the store to the janitor (deferred-deletion.ts). Absent means false. */
  readonly DeferDeletion?: string;
}

/**
 * Where the handler records a store it adopted: one String parameter per store, named by the
 * stack and the store id, holding the record (which stack and resource adopted it, and the
 * connection state it had), so that the rollback of that Create can give it back as it was.
 */
export const ADOPTION_RECORD_PREFIX = '/cdk-kms-custom-key-store/adopted';

/** The field of the proxy credential secret's JSON that holds the access key id (beside `secretAccessKey`). */
export const ACCESS_KEY_ID_FIELD = 'accessKeyId';
