/**
 * What a CONNECTED external key store's proxy answers when CreateKey makes KMS call it (KMS asks
 * the proxy about the external key before it makes the KMS key). A connected store says nothing
 * about the proxy's health now: DescribeCustomKeyStores keeps showing CONNECTED while the proxy
 * rejects or fails requests.
 *
 * The Developer Guide ("Monitor external key stores", the table of top exceptions) maps the proxy's
 * errors to the exception KMS gives the caller: for CreateKey, the proxy's AccessDenied,
 * AuthenticationFailed, InvalidUriPath and Validation, and the retryable DependencyTimeout,
 * Internal, Throttling and XksProxyUnreachable, all arrive as CustomKeyStoreInvalidStateException,
 * while the store stays CONNECTED. So the exception name does not say whether the store is connected.
 *
 * The causes are read from the world outside KMS (world.ts) at each call, as crypto.ts does.
 */
import { ServiceError } from '../../endpoint/service-error';
import { XksConfig } from './records';
import { OutsideWorld } from './world';

/** The proxy's error (its XKS API name) for a request KMS sends it now, if it fails one. */
export function proxyErrorNow(world: OutsideWorld, xks: XksConfig): string | undefined {
  const proxy = world.proxies.get(xks.endpoint) ?? {};
  const blip = world.takeProxyBlip(xks.endpoint);
  const service = xks.vpcServiceName !== undefined ? world.vpcEndpointServices.get(xks.vpcServiceName) : undefined;
  if (proxy.reachable === false || blip === 'unreachable' || service?.exists === false) return 'XksProxyUnreachable';
  if (blip === 'invalid-response' || proxy.invalidResponses === true) return 'Internal';
  // The proxy is up but its external key manager is not: the proxy's own call times out.
  if (proxy.keyManagersAvailable === false) return 'DependencyTimeout';
  if (proxy.uriPath !== undefined && proxy.uriPath !== xks.path) return 'InvalidUriPath';
  if (!world.proxyAccepts(xks)) return 'AuthenticationFailed';
  if (proxy.deniesKms) return 'AccessDenied';
  return undefined;
}

/**
 * The model's wording of KMS's answer (the Guide gives the mapping, not KMS's text): it names the
 * store and the proxy's error, as KMS's messages for a proxy's refusal do.
 */
const EXPLANATIONS: Record<string, string> = {
  XksProxyUnreachable: 'KMS cannot communicate with the external key store proxy',
  Internal: 'the external key store proxy could not process the request',
  DependencyTimeout: 'the external key store proxy timed out waiting for its external key manager',
  InvalidUriPath: 'the external key store proxy rejected the request URI path',
  AuthenticationFailed: 'the external key store proxy rejected the authentication credential',
  AccessDenied: 'the external key store proxy denied KMS access to the request',
};

/** CreateKey's answer when the proxy of `storeId` fails the request with `proxyError`. */
export function proxyRejectedCreateKey(storeId: string, proxyError: string): ServiceError {
  return new ServiceError(
    'CustomKeyStoreInvalidStateException',
    `The request was rejected because ${EXPLANATIONS[proxyError] ?? 'the external key store proxy rejected it'} (${proxyError}) for custom key store '${storeId}'.`,
  );
}
