/**
 * Configuration drift: what KMS shows of each watched store, and of the keys the stack declares in
 * it, against what the stack declares. CloudFormation's drift detection does not cover custom
 * resources, so a store renamed in the console, or a key disabled with the CLI, goes unseen
 * otherwise.
 *
 * The store is compared with the DescribeCustomKeyStores page the watcher read anyway (no KMS call
 * of its own); each declared key costs one DescribeKey a run. The declarations are the SSM
 * parameters CloudFormation writes under the stack's path (one GetParametersByPath page per ten).
 *
 * Nothing secret is compared or logged: KMS shows neither the kmsuser password nor the secret
 * access key. The proxy credential's access key id is compared with the one CloudFormation resolved
 * from the secret at deployment (the watcher's role never reads the secret), and logged by its last
 * four characters only.
 */
import { createHash } from 'crypto';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DeclaredKey, DeclaredStore } from '../../lib/private/contract/operations-metrics';
import { errorName } from '../shared/errors';
import { RetryOptions, withRetry } from '../shared/retry';
import { StoreView } from '../shared/store-api';

export interface Difference {
  readonly field: string;
  readonly declared: string;
  readonly actual: string;
}

export interface KeyDrift {
  readonly keyId: string;
  readonly differences: Difference[];
}

export interface Declarations {
  readonly stores: Map<string, DeclaredStore>;
  /** By store id. */
  readonly keys: Map<string, DeclaredKey[]>;
}

/** Every declaration under the stack's path, page by page (GetParametersByPath returns at most ten a page). */
export async function readDeclarations(ssm: SSMClient, path: string, retry: RetryOptions, log: (line: string) => void): Promise<Declarations> {
  const stores = new Map<string, DeclaredStore>();
  const keys = new Map<string, DeclaredKey[]>();
  let nextToken: string | undefined;
  do {
    const page = await withRetry(async () => ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: false, MaxResults: 10, NextToken: nextToken })), retry);
    for (const parameter of page.Parameters ?? []) {
      const declared = parse(parameter.Value);
      if (declared?.kind === 'store') stores.set(declared.storeId, declared);
      else if (declared?.kind === 'key') keys.set(declared.storeId, [...(keys.get(declared.storeId) ?? []), declared]);
      else log(JSON.stringify({ unreadableDeclaration: parameter.Name }));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { stores, keys };
}

function parse(value: string | undefined): DeclaredStore | DeclaredKey | undefined {
  try {
    const parsed: unknown = JSON.parse(value ?? '');
    const kind = typeof parsed === 'object' && parsed !== null ? (parsed as { kind?: unknown }).kind : undefined;
    return kind === 'store' || kind === 'key' ? (parsed as DeclaredStore | DeclaredKey) : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of the store that differ from its declaration. */
export function storeDifferences(shown: StoreView, declared: DeclaredStore): Difference[] {
  const out: Difference[] = [];
  const differ = (field: string, actual: string | undefined, wanted: string | undefined): void => {
    if ((actual ?? '') !== (wanted ?? '')) out.push({ field, declared: wanted ?? '(not set)', actual: actual ?? '(not set)' });
  };
  differ('CustomKeyStoreName', shown.CustomKeyStoreName, declared.name);
  differ('CustomKeyStoreType', shown.CustomKeyStoreType, declared.type);
  if (declared.type === 'AWS_CLOUDHSM') {
    differ('CloudHsmClusterId', shown.CloudHsmClusterId, declared.clusterId);
    if (shown.TrustAnchorCertificate !== undefined && pemBody(shown.TrustAnchorCertificate) !== pemBody(declared.trustAnchorCertificate ?? '')) {
      // The certificate is public, but long: its fingerprint says which one each side has.
      out.push({ field: 'TrustAnchorCertificate', declared: fingerprint(declared.trustAnchorCertificate ?? ''), actual: fingerprint(shown.TrustAnchorCertificate) });
    }
    return out;
  }
  const xks = shown.XksProxyConfiguration ?? {};
  differ('XksProxyUriEndpoint', xks.UriEndpoint, declared.uriEndpoint);
  differ('XksProxyUriPath', xks.UriPath, declared.uriPath);
  differ('XksProxyConnectivity', xks.Connectivity, declared.connectivity);
  if (declared.vpcEndpointServiceName !== undefined || xks.VpcEndpointServiceName !== undefined) {
    differ('XksProxyVpcEndpointServiceName', xks.VpcEndpointServiceName, declared.vpcEndpointServiceName);
    if (xks.VpcEndpointServiceOwner !== undefined) differ('XksProxyVpcEndpointServiceOwner', xks.VpcEndpointServiceOwner, declared.vpcEndpointServiceOwner);
  }
  if (declared.proxyAccessKeyId !== undefined && xks.AccessKeyId !== undefined && xks.AccessKeyId !== declared.proxyAccessKeyId) {
    // KMS shows the access key id, but it is half of a credential: the log says which one by its end only.
    out.push({ field: 'XksProxyAccessKeyId', declared: lastFour(declared.proxyAccessKeyId), actual: lastFour(xks.AccessKeyId) });
  }
  return out;
}

function lastFour(accessKeyId: string): string {
  return `…${accessKeyId.slice(-4)}`;
}

function pemBody(pem: string): string {
  return pem.replace(/\s+/g, '');
}

function fingerprint(pem: string): string {
  return `sha256:${createHash('sha256').update(pemBody(pem)).digest('hex').slice(0, 16)}`;
}

/** A key's state against its declaration: undefined when it cannot be told this run (the reason is logged). */
export async function keyDrift(kms: KMSClient, declared: DeclaredKey, retry: RetryOptions, log: (line: string) => void): Promise<KeyDrift | undefined> {
  let metadata;
  try {
    metadata = (await withRetry(async () => kms.send(new DescribeKeyCommand({ KeyId: declared.keyId })), retry)).KeyMetadata;
  } catch (err) {
    // NotFoundException right after the key's creation is KMS's eventual consistency, not drift;
    // a refused or throttled read tells nothing either.
    log(JSON.stringify({ keyNotCompared: declared.keyId, store: declared.storeId, exceptionName: errorName(err) }));
    return undefined;
  }
  const differences: Difference[] = [];
  const state = metadata?.KeyState ?? 'UNKNOWN';
  const wanted = declared.enabled === 'false' ? 'Disabled' : 'Enabled';
  // Unavailable: the store is disconnected (the Connected metric says so); the key's own setting is unknown.
  if (state !== wanted && (state === 'Enabled' || state === 'Disabled' || state === 'PendingDeletion')) {
    differences.push({ field: 'KeyState', declared: wanted, actual: state });
  }
  const description = metadata?.Description ?? '';
  if (description !== (declared.description ?? '')) {
    differences.push({ field: 'Description', declared: declared.description ?? '', actual: description });
  }
  return { keyId: declared.keyId, differences };
}
