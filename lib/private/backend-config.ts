import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStoreType } from '../custom-key-store-type';

/** What a backend adds to the store's resource and to the handler's permissions (internal: not part of the API). */
export interface KeyStoreBackendConfig {
  readonly customKeyStoreType: CustomKeyStoreType;
  /** Resource properties, every value a string or a token. */
  readonly properties: { [key: string]: string };
  /** Secrets the handler must be able to read. */
  readonly secrets: secretsmanager.ISecret[];
  /** An external key store's proxy credential secret (what the credential sync follows). */
  readonly proxyCredential?: secretsmanager.ISecret;
  /** A CloudHSM key store's cluster (what the cluster's health alarm watches). */
  readonly clusterId?: string;
  /** The handler needs `cloudhsm:DescribeClusters` and the KMS service-linked role. */
  readonly needsCloudHsmPermissions: boolean;
  /** The VPC endpoint service may be owned by another account: the handler needs `ec2:DescribeVpcEndpointServices`. */
  readonly needsVpcEndpointServiceLookup: boolean;
}
