/**
 * The local endpoint's SSM Parameter Store, through the real AWS SDK.
 */
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LocalKms, startLocalKms } from '../../../local';

let kms: LocalKms;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
});
afterEach(async () => kms.stop());

test('SSM Parameter Store: PutParameter makes a parameter or, with Overwrite, a new version; GetParameter reads it; an unknown one is ParameterNotFound', async () => {
  const ssm = new SSMClient({ ...kms.clientConfig(), maxAttempts: 1 });
  await expect(ssm.send(new GetParameterCommand({ Name: 'state' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  expect(await ssm.send(new PutParameterCommand({ Name: 'state', Value: 'none', Type: 'String' }))).toMatchObject({ Version: 1 });
  await expect(ssm.send(new PutParameterCommand({ Name: 'state', Value: 'v2' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
  expect(await ssm.send(new PutParameterCommand({ Name: 'state', Value: 'v2', Overwrite: true }))).toMatchObject({ Version: 2 });
  expect((await ssm.send(new GetParameterCommand({ Name: 'state' }))).Parameter).toMatchObject({ Name: 'state', Value: 'v2', Version: 2, Type: 'String' });
});

test('SSM Parameter Store: DeleteParameter removes a parameter; deleting it again is ParameterNotFound', async () => {
  const ssm = new SSMClient({ ...kms.clientConfig(), maxAttempts: 1 });
  await ssm.send(new PutParameterCommand({ Name: '/a/b', Value: 'x', Type: 'String' }));
  await ssm.send(new DeleteParameterCommand({ Name: '/a/b' }));
  await expect(ssm.send(new GetParameterCommand({ Name: '/a/b' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  await expect(ssm.send(new DeleteParameterCommand({ Name: '/a/b' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
});
