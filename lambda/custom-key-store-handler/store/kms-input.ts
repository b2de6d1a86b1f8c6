/**
 * The CreateCustomKeyStore and UpdateCustomKeyStore requests for the store the stack asks for,
 * with the password or proxy credential read from its secret as the request is made.
 */
import { CreateCustomKeyStoreCommandInput, CustomKeyStoreType, UpdateCustomKeyStoreCommandInput, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import { KeyStoreError } from '../../shared/errors';
import { SecretReader } from '../../shared/secrets/reader';
import { malformedEventMessage } from '../messages';
import { DesiredStore } from './desired';
import { UpdatePlan } from './update-plan';

export async function createInput(desired: DesiredStore, secrets: SecretReader): Promise<CreateCustomKeyStoreCommandInput> {
  if (desired.cloudHsm) {
    return {
      CustomKeyStoreName: desired.name,
      CustomKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM,
      CloudHsmClusterId: desired.cloudHsm.clusterId,
      TrustAnchorCertificate: desired.cloudHsm.trustAnchorCertificate,
      KeyStorePassword: await secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn),
    };
  }
  const xks = requireExternal(desired);
  const credential = await secrets.proxyCredential(xks.credentialSecretArn);
  return {
    CustomKeyStoreName: desired.name,
    CustomKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE,
    XksProxyUriEndpoint: xks.uriEndpoint,
    XksProxyUriPath: xks.uriPath,
    XksProxyConnectivity: xks.connectivity,
    XksProxyVpcEndpointServiceName: xks.vpcEndpointServiceName,
    XksProxyVpcEndpointServiceOwner: xks.vpcEndpointServiceOwner,
    XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey },
  };
}

/**
 * The update of the plan's online fields, and with `includeOffline` of its offline ones too.
 * `stackAccount` is the VPC endpoint service owner an owner taken away falls back to.
 */
export async function updateInput(
  id: string,
  desired: DesiredStore,
  plan: UpdatePlan,
  includeOffline: boolean,
  secrets: SecretReader,
  stackAccount: string | undefined,
): Promise<UpdateCustomKeyStoreCommandInput> {
  const fields = new Set([...plan.online, ...(includeOffline ? plan.offline : [])]);
  const input: { -readonly [K in keyof UpdateCustomKeyStoreCommandInput]: UpdateCustomKeyStoreCommandInput[K] } = { CustomKeyStoreId: id };
  if (fields.has('CustomKeyStoreName')) {
    input.NewCustomKeyStoreName = desired.name;
  }
  if (desired.cloudHsm) {
    if (fields.has('CloudHsmClusterId')) {
      input.CloudHsmClusterId = desired.cloudHsm.clusterId;
    }
    if (fields.has('KeyStorePassword')) {
      input.KeyStorePassword = await secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn);
    }
    return input;
  }
  const xks = requireExternal(desired);
  if (fields.has('XksProxyUriPath')) {
    input.XksProxyUriPath = xks.uriPath;
  }
  if (fields.has('XksProxyAuthenticationCredential')) {
    const credential = await secrets.proxyCredential(xks.credentialSecretArn);
    input.XksProxyAuthenticationCredential = { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey };
  }
  const connectionFields = ['XksProxyUriEndpoint', 'XksProxyConnectivity', 'XksProxyVpcEndpointServiceName', 'XksProxyVpcEndpointServiceOwner'];
  if (includeOffline && connectionFields.some((f) => fields.has(f))) {
    // The connection settings go together, so KMS never sees half of a change of connectivity.
    input.XksProxyUriEndpoint = xks.uriEndpoint;
    input.XksProxyConnectivity = xks.connectivity;
    if (xks.connectivity === XksProxyConnectivityType.VPC_ENDPOINT_SERVICE) {
      input.XksProxyVpcEndpointServiceName = xks.vpcEndpointServiceName;
      // An owner taken away means "this account", which KMS cannot be told by omission.
      input.XksProxyVpcEndpointServiceOwner = xks.vpcEndpointServiceOwner ?? (fields.has('XksProxyVpcEndpointServiceOwner') ? stackAccount : undefined);
    }
  }
  return input;
}

export function requireExternal(desired: DesiredStore): NonNullable<DesiredStore['external']> {
  if (!desired.external) {
    throw new KeyStoreError(malformedEventMessage(`store '${desired.name}' has neither CloudHSM nor external key store settings`));
  }
  return desired.external;
}
