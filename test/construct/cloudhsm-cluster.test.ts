/** KeyStoreBackend.cloudHsm with a cluster declared in the app (aws-cdk-lib's L1 aws_cloudhsm.CfnCluster). */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudhsm from 'aws-cdk-lib/aws-cloudhsm';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CustomKeyStore, KeyStoreBackend } from '../../lib';
import { cloudHsmBackend, newStack } from '../fixtures/stacks';

const STORE_TYPE = 'Custom::KmsCustomKeyStore';

function declareCluster(scope: Stack): cloudhsm.CfnCluster {
  return new cloudhsm.CfnCluster(scope, 'Cluster', { hsmType: 'hsm2m.medium', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] });
}

function storeResource(stack: Stack): { Properties: Record<string, unknown>; DependsOn?: string[] } {
  const found = Object.values(Template.fromStack(stack).findResources(STORE_TYPE));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown>; DependsOn?: string[] };
}

describe('KeyStoreBackend.cloudHsm({ cluster })', () => {
  test('the store takes the cluster id from the cluster\'s ClusterId attribute, so CloudFormation creates it after the cluster', () => {
    const stack = newStack();
    const cluster = declareCluster(stack);
    new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack, { clusterId: undefined, cluster }) });
    const clusterLogicalId = stack.getLogicalId(cluster);
    expect(storeResource(stack).Properties.CloudHsmClusterId).toEqual({ 'Fn::GetAtt': [clusterLogicalId, 'ClusterId'] });
    Template.fromStack(stack).resourceCountIs('AWS::CloudHSM::Cluster', 1);
  });

  test('the store in another stack than the cluster: an export of the cluster id, and the store\'s stack deploys after the cluster\'s', () => {
    const app = new App();
    const env = { account: '111122223333', region: 'us-east-1' };
    const clusterStack = new Stack(app, 'Cluster', { env });
    const storeStack = new Stack(app, 'Store', { env });
    const cluster = declareCluster(clusterStack);
    new CustomKeyStore(storeStack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(storeStack, { clusterId: undefined, cluster }) });
    expect(storeResource(storeStack).Properties.CloudHsmClusterId).toEqual({ 'Fn::ImportValue': expect.stringContaining('ClusterId') as unknown });
    expect(storeStack.dependencies).toContain(clusterStack);
  });

  test('the cluster\'s health alarm watches the declared cluster by its id', () => {
    const stack = newStack();
    const cluster = declareCluster(stack);
    const store = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack, { clusterId: undefined, cluster }) });
    const alarms = store.addRecommendedAlarms();
    const health = alarms.map((a) => a.metric).find((m): m is cloudwatch.Metric => m instanceof cloudwatch.Metric && m.metricName === 'HsmUnhealthy');
    expect(stack.resolve(health?.dimensions)).toEqual({ ClusterId: { 'Fn::GetAtt': [stack.getLogicalId(cluster), 'ClusterId'] } });
  });

  test.each<[string, (stack: Stack) => Partial<Parameters<typeof KeyStoreBackend.cloudHsm>[0]>, string]>([
    ['both clusterId and cluster', (stack) => ({ clusterId: 'cluster-2a23b4cdefg', cluster: declareCluster(stack) }),
      'clusterId and cluster are both given; expected exactly one of them (cluster for an AWS::CloudHSM::Cluster declared with aws_cloudhsm.CfnCluster, clusterId for any other cluster) (at KeyStores/Hsm)'],
    ['neither', () => ({ clusterId: undefined }),
      "clusterId or cluster is required; expected clusterId: 'cluster-' followed by 11-16 characters of [2-7a-zA-Z] (19-24 characters), or cluster: an aws_cloudhsm.CfnCluster (at KeyStores/Hsm)"],
    ['a cluster that is not an AWS::CloudHSM::Cluster (from JavaScript)', () => ({ clusterId: undefined, cluster: new Stack(new App(), 'Other') as unknown as cloudhsm.CfnCluster }),
      'cluster: is not an AWS::CloudHSM::Cluster resource; expected an aws_cloudhsm.CfnCluster (for a cluster id, use clusterId) (at KeyStores/Hsm)'],
  ])('refuses %s, naming the properties', (_name, overrides, message) => {
    const stack = newStack();
    expect(() => new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack, overrides(stack)) })).toThrow(message);
  });
});
