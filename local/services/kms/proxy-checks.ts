/**
 * The proxy checks KMS makes when an external key store is created or its proxy settings are
 * updated, before anything changes. CreateCustomKeyStore and UpdateCustomKeyStore both list the
 * proxy's errors; XksProxyUriUnreachableException says "The path must be reachable before you
 * create the external key store or update its settings. This exception is also thrown when the
 * external key store proxy response to a GetHealthStatus request indicates that all external key
 * manager instances are unavailable" (botocore kms model). So an external key store cannot be
 * created before its proxy is in service, even to be left disconnected.
 *
 * The causes are those of a failed connect (connection.ts), found in the world outside KMS
 * (world.ts); each answers with the exception the model documents for it.
 */
import { ServiceError } from '../../endpoint/service-error';
import { XksConfig } from './records';
import { OutsideWorld } from './world';

/**
 * Throws the exception KMS gives when its check of the proxy at these settings fails. The
 * credential is checked at create, and at an update only of a CONNECTED store (xks-troubleshooting,
 * "UpdateCustomKeyStore fails with an XksProxyIncorrectAuthenticationCredentialException").
 */
export function checkProxy(world: OutsideWorld, xks: XksConfig, checkCredential: boolean): void {
  if (xks.connectivity === 'VPC_ENDPOINT_SERVICE') {
    const service = world.vpcEndpointServices.get(xks.vpcServiceName as string) ?? {};
    if (service.exists === false) {
      throw new ServiceError('XksProxyVpcEndpointServiceNotFoundException', `KMS could not find the VPC endpoint service ${xks.vpcServiceName}.`);
    }
    if (service.allowsKms === false) {
      throw new ServiceError(
        'XksProxyVpcEndpointServiceInvalidConfigurationException',
        `The VPC endpoint service ${xks.vpcServiceName} does not fulfill the requirements for an external key store: its allowed principals do not include the KMS service principal.`,
      );
    }
  }
  const proxy = world.proxies.get(xks.endpoint) ?? {};
  const blip = world.takeProxyBlip(xks.endpoint);
  if (proxy.reachable === false || blip === 'unreachable' || proxy.keyManagersAvailable === false) {
    throw new ServiceError('XksProxyUriUnreachableException', `KMS was unable to reach the specified XksProxyUriPath at ${xks.endpoint}.`);
  }
  if (blip === 'invalid-response' || proxy.invalidResponses === true) {
    throw new ServiceError('XksProxyInvalidResponseException', 'KMS cannot interpret the response it received from the external key store proxy.');
  }
  if (proxy.uriPath !== undefined && proxy.uriPath !== xks.path) {
    throw new ServiceError('XksProxyInvalidConfigurationException', `The external key store proxy does not serve the path ${xks.path}.`);
  }
  if (checkCredential && !world.proxyAccepts(xks)) {
    throw new ServiceError('XksProxyIncorrectAuthenticationCredentialException', 'The proxy credentials failed to authenticate to the specified external key store proxy.');
  }
}
