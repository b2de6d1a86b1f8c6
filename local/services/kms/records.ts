/** What the KMS model keeps of a custom key store and of a KMS key. */

export type Json = Record<string, unknown>;

export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';

/** An external key store's proxy settings. */
export interface XksConfig {
  readonly endpoint: string;
  readonly path: string;
  readonly connectivity: string;
  readonly vpcServiceName?: string;
  readonly vpcServiceOwner?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** From `at` on, the store is in `state` (with the ConnectionErrorCode of a FAILED connection). */
export interface StateStep {
  readonly at: number;
  readonly state: ConnectionState;
  readonly errorCode?: string;
}

export interface Store {
  id: string;
  name: string;
  type: string;
  createdAt: number;
  /** The connection state over time: the state at t is that of the last step at or before t. */
  steps: StateStep[];
  clusterId?: string;
  trustAnchor?: string;
  /** The kmsuser password KMS holds for the store. */
  password?: string;
  /** The external key store's settings, as DescribeCustomKeyStores shows them. */
  xks?: XksConfig;
  /** The settings connects use, each from a time on: an update takes xksPropagationMs to arrive. */
  xksEffective: Array<{ readonly from: number; readonly config: XksConfig }>;
}

export interface Key {
  id: string;
  arn: string;
  createdAt: number;
  origin: string;
  storeId?: string;
  description: string;
  xksKeyId?: string;
  enabled: boolean;
  deletionDate?: number;
  /** Its key policy does not allow the caller (no IAM delegation): DescribeKey is AccessDenied. */
  locked?: boolean;
  policy: string;
  tags: Map<string, string>;
}
