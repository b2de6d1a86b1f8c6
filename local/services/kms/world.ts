/**
 * The world outside KMS that a custom key store depends on, as KMS would find it: CloudHSM clusters
 * (their HSMs, kmsuser, backup lineage), XKS proxies (their credential, path, reachability, the
 * external keys they hold) and the VPC endpoint services in front of them. Tests and the demo set it
 * up and change it ("the cluster lost an HSM"); KMS reads it when a store connects or a key is made.
 */
import { XksConfig } from './records';

/** A CloudHSM cluster as KMS would find it. */
export interface ClusterSpec {
  /** False: the cluster was deleted (CLUSTER_NOT_FOUND). Default true. */
  readonly exists?: boolean;
  /** Active HSMs; 0 makes connections fail with INSUFFICIENT_CLOUDHSM_HSMS. Default 2. */
  readonly hsmCount?: number;
  /**
   * kmsuser's password in the cluster as an operator set it. Unset: the password the store was
   * created with (the operator made kmsuser with it). KMS replaces it on every connect.
   */
  readonly kmsUserPassword?: string;
  /** False: the cluster has no kmsuser crypto user (USER_NOT_FOUND). Default true. */
  readonly kmsUserExists?: boolean;
  /**
   * kmsuser is locked out of the cluster (too many failed logins): a CONNECTED store stays CONNECTED
   * while every cryptographic operation fails (the next connect fails with USER_LOCKED_OUT).
   */
  readonly kmsUserLocked?: boolean;
  /** kmsuser is logged in to the cluster, which blocks KMS (USER_LOGGED_IN). */
  readonly kmsUserLoggedIn?: boolean;
  /** A subnet of the cluster's configuration was deleted (SUBNET_NOT_FOUND). */
  readonly subnetDeleted?: boolean;
  /** The cluster's security group blocks KMS (NETWORK_ERRORS). */
  readonly networkBlocked?: boolean;
  /** Clusters of one backup lineage are related. Default: all unregistered clusters share one. */
  readonly lineage?: string;
}

/** An XKS proxy as KMS would reach it, by its URI endpoint. */
export interface ProxySpec {
  /** The credential the proxy accepts; any is accepted when unset. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** The path the proxy serves; any is accepted when unset (else XKS_PROXY_INVALID_CONFIGURATION). */
  readonly uriPath?: string;
  /** False makes connections fail with XKS_PROXY_NOT_REACHABLE. */
  readonly reachable?: boolean;
  /** The proxy's authorization rules deny KMS (XKS_PROXY_ACCESS_DENIED). */
  readonly deniesKms?: boolean;
  /** False: GetHealthStatus reports every external key manager instance unavailable. Default true. */
  readonly keyManagersAvailable?: boolean;
  /** The proxy answers in a way KMS cannot interpret (XksProxyInvalidResponseException at create or update). */
  readonly invalidResponses?: boolean;
}

/** A passing proxy condition: the next few checks KMS makes of the proxy fail, then it answers again. */
export type ProxyBlip = 'unreachable' | 'invalid-response';

/** A VPC endpoint service in front of an XKS proxy, by its service name. */
export interface VpcEndpointServiceSpec {
  /** False: XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND. Default true. */
  readonly exists?: boolean;
  /** Its allowed principals include cks.kms.<region>.amazonaws.com. Default true. */
  readonly allowsKms?: boolean;
}

export interface WorldOptions {
  readonly clusters?: Record<string, ClusterSpec>;
  readonly proxies?: Record<string, ProxySpec>;
  readonly vpcEndpointServices?: Record<string, VpcEndpointServiceSpec>;
}

export class OutsideWorld {
  public readonly clusters: Map<string, ClusterSpec>;
  public readonly proxies: Map<string, ProxySpec>;
  public readonly vpcEndpointServices: Map<string, VpcEndpointServiceSpec>;
  /** External keys (by XksKeyId) that the XKS proxies do not have; any other id is found. */
  public readonly missingExternalKeys = new Set<string>();
  /** External keys that exist but cannot back a KMS key (not AES-256, disabled, wrong usage). */
  public readonly invalidExternalKeys = new Set<string>();
  /** kmsuser's current password in each cluster, once KMS or an operator has set one. */
  private readonly kmsUserPasswords = new Map<string, string>();
  /** Passing proxy conditions, by URI endpoint: what the next checks meet, and how many more. */
  private readonly proxyBlips = new Map<string, { kind: ProxyBlip; remaining: number }>();

  constructor(options: WorldOptions) {
    this.clusters = new Map(Object.entries(options.clusters ?? {}));
    this.proxies = new Map(Object.entries(options.proxies ?? {}));
    this.vpcEndpointServices = new Map(Object.entries(options.vpcEndpointServices ?? {}));
  }

  /** Sets kmsuser's password in the cluster: an operator doing it (KMS is not told), or KMS rotating it. */
  public setKmsUserPassword(clusterId: string, password: string): void {
    this.kmsUserPasswords.set(clusterId, password);
  }

  /** kmsuser's password in the cluster now: after a connect, one only KMS knows. */
  public kmsUserPassword(clusterId: string): string | undefined {
    return this.kmsUserPasswords.get(clusterId) ?? this.clusters.get(clusterId)?.kmsUserPassword;
  }

  /** The proxy at `endpoint` fails KMS's next `checks` checks with `kind`, then answers again. */
  public blipProxy(endpoint: string, kind: ProxyBlip, checks: number): void {
    this.proxyBlips.set(endpoint, { kind, remaining: checks });
  }

  /** The passing condition the next check of the proxy meets, if any (it uses one up). */
  public takeProxyBlip(endpoint: string): ProxyBlip | undefined {
    const blip = this.proxyBlips.get(endpoint);
    if (!blip) return undefined;
    if (--blip.remaining <= 0) this.proxyBlips.delete(endpoint);
    return blip.kind;
  }

  /** The cluster's backup lineage: clusters of one lineage are related. */
  public lineage(clusterId: string): string {
    return this.clusters.get(clusterId)?.lineage ?? 'default';
  }

  /** Whether the proxy at the settings' endpoint accepts their credential. */
  public proxyAccepts(xks: XksConfig): boolean {
    const proxy = this.proxies.get(xks.endpoint) ?? {};
    return (proxy.accessKeyId === undefined || proxy.accessKeyId === xks.accessKeyId) && (proxy.secretAccessKey === undefined || proxy.secretAccessKey === xks.secretAccessKey);
  }
}
