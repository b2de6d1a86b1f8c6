/**
 * The assertions the integration tests share: what `DescribeCustomKeyStores` answers for a store,
 * and a CloudFormation update driven from the assertion stack (how a test renames a store: the
 * store's own stack updated with a new parameter value, through the custom resource's Update).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { ExpectedResult, IApiCall, IDeployAssert } from '@aws-cdk/integ-tests-alpha';

/** KMS reads are eventually consistent and connecting takes minutes: assertions poll. */
const POLL = { totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) };

/** What `DescribeCustomKeyStores` says of the store with this name (names are unique per account and Region). */
export function expectStore(assert: IDeployAssert, name: string, expected: Record<string, unknown>): IApiCall {
  return assert.awsApiCall('KMS', 'describeCustomKeyStores', { CustomKeyStoreName: name })
    .expect(ExpectedResult.objectLike({ CustomKeyStores: [{ CustomKeyStoreName: name, ...expected }] }))
    .waitForAssertions(POLL);
}

/**
 * Updates `stack` with its deployed template and new parameter values, then waits for
 * UPDATE_COMPLETE. CloudFormation reuses the role the stack was deployed with (the bootstrap's
 * cfn-exec role), which the assertion provider passes.
 */
export function updateStackParameters(assert: IDeployAssert, stack: Stack, parameters: Record<string, string>): IApiCall {
  const update = assert.awsApiCall('CloudFormation', 'updateStack', {
    StackName: stack.stackName,
    UsePreviousTemplate: true,
    Parameters: [
      ...Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
    ],
    Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
  });
  update.provider.addToRolePolicy({
    Effect: 'Allow',
    Action: ['iam:PassRole'],
    Resource: [`arn:${stack.partition}:iam::${stack.account}:role/cdk-*-cfn-exec-role-*`],
  });
  const done = assert.awsApiCall('CloudFormation', 'describeStacks', { StackName: stack.stackName })
    .expect(ExpectedResult.objectLike({ Stacks: [{ StackName: stack.stackName, StackStatus: 'UPDATE_COMPLETE' }] }))
    .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.seconds(30) });
  return update.next(done);
}
