import { Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DECLARED_CONFIGURATION_PREFIX, DeclaredKey, DeclaredStore } from '../contract/operations-metrics';
import { ACCESS_KEY_ID_FIELD, KeyStoreResourceProperties } from '../contract/store-properties';

/** The path under which the stack's declarations are: stack-scoped, so that one stack's watcher reads only its own. */
export function declaredConfigurationPath(scope: Construct): string {
  return `${DECLARED_CONFIGURATION_PREFIX}/${Stack.of(scope).stackName}`;
}

/**
 * What the store's resource properties declare of what KMS shows, for the watcher's drift check.
 * Of the proxy credential (`credential`, when its access key id is to be compared), only the
 * access key id, which KMS shows too: CloudFormation resolves it from the secret into the
 * parameter, so that neither the template nor the watcher's role holds the secret access key.
 */
export function declaredStore(scope: Construct, storeId: string, p: KeyStoreResourceProperties, credential?: secretsmanager.ISecret): DeclaredStore {
  return {
    kind: 'store',
    storeId,
    name: p.CustomKeyStoreName,
    type: p.CustomKeyStoreType,
    clusterId: p.CloudHsmClusterId,
    trustAnchorCertificate: p.TrustAnchorCertificate,
    uriEndpoint: p.XksProxyUriEndpoint,
    uriPath: p.XksProxyUriPath,
    connectivity: p.XksProxyConnectivity,
    vpcEndpointServiceName: p.XksProxyVpcEndpointServiceName,
    // KMS shows the owner it was given, or the caller's account when none was (as the handler's adoption check assumes).
    vpcEndpointServiceOwner: p.XksProxyVpcEndpointServiceName === undefined ? undefined : (p.XksProxyVpcEndpointServiceOwner ?? Stack.of(scope).account),
    // A {{resolve:secretsmanager:…:SecretString:accessKeyId}} dynamic reference: the template holds
    // only the reference, and CloudFormation resolves it in an AWS::SSM::Parameter (it would not in
    // a custom resource's properties).
    proxyAccessKeyId: credential?.secretValueFromJson(ACCESS_KEY_ID_FIELD).unsafeUnwrap(),
  };
}

/**
 * One String parameter under the stack's path, written by CloudFormation with the declaration's
 * tokens (store id, key id, cluster id) resolved. Intelligent-Tiering: a CloudHSM store's trust
 * anchor may be up to 5,000 characters, over a standard parameter's 4 KB; Parameter Store then
 * makes that one parameter advanced, and every other one stays standard (and free).
 */
export function declarationParameter(owner: Construct, declared: DeclaredStore | DeclaredKey): ssm.StringParameter {
  const stack = Stack.of(owner);
  return new ssm.StringParameter(owner, 'DeclaredConfiguration', {
    parameterName: `${declaredConfigurationPath(owner)}/${declared.kind}-${owner.node.addr}`,
    description: `What stack ${stack.stackName} declares of ${owner.node.path}, compared by the connection watcher with what KMS shows (configuration drift)`,
    stringValue: stack.toJsonString(declared),
    tier: ssm.ParameterTier.INTELLIGENT_TIERING,
  });
}
