/**
 * The local endpoint's CloudFormation DescribeStacks, in the query protocol, through the real AWS SDK.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LocalKms, startLocalKms } from '../../../local';

let kms: LocalKms;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
});
afterEach(async () => kms.stop());

test('CloudFormation DescribeStacks, in the query protocol, tells the stack status the runner set', async () => {
  const cfn = new CloudFormationClient({ ...kms.clientConfig(), maxAttempts: 1 });
  const stackId = 'arn:aws:cloudformation:us-east-1:111122223333:stack/S/1';
  kms.cloudFormation.setStackStatus(stackId, 'S', 'UPDATE_ROLLBACK_IN_PROGRESS');
  expect((await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0]).toMatchObject({ StackName: 'S', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
  await expect(cfn.send(new DescribeStacksCommand({ StackName: 'nope' }))).rejects.toMatchObject({ name: 'ValidationError' });
});
