/**
 * The local endpoint's SSM Parameter Store, through the real AWS SDK.
 */
import { DeleteParameterCommand, GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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

test('SSM Parameter Store: GetParametersByPath returns the parameters one level under the path (every level with Recursive), at most MaxResults (1-10) a page with a NextToken while more remain', async () => {
  const ssm = new SSMClient({ ...kms.clientConfig(), maxAttempts: 1 });
  const names = [...Array.from({ length: 12 }, (_, i) => `/d/Stack/p${String(i).padStart(2, '0')}`), '/d/Stack/deeper/p', '/d/Other/p', '/d/Stackish/p'];
  for (const name of names) await ssm.send(new PutParameterCommand({ Name: name, Value: `v-${name}`, Type: 'String' }));
  const first = await ssm.send(new GetParametersByPathCommand({ Path: '/d/Stack' }));
  expect(first.Parameters?.map((p) => p.Name)).toEqual(names.slice(0, 10));
  expect(first.Parameters?.[0]).toMatchObject({ Name: '/d/Stack/p00', Value: 'v-/d/Stack/p00', Type: 'String', Version: 1 });
  const second = await ssm.send(new GetParametersByPathCommand({ Path: '/d/Stack', NextToken: first.NextToken }));
  expect(second.Parameters?.map((p) => p.Name)).toEqual(['/d/Stack/p10', '/d/Stack/p11']);
  expect(second.NextToken).toBeUndefined();
  // Small pages, and every level with Recursive.
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/d/Stack/', Recursive: true, MaxResults: 5, NextToken: token }));
    pages.push((page.Parameters ?? []).map((p) => p.Name ?? ''));
    token = page.NextToken;
  } while (token);
  expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
  expect(pages.flat()).toContain('/d/Stack/deeper/p');
  expect(pages.flat()).not.toContain('/d/Stackish/p');
  expect((await ssm.send(new GetParametersByPathCommand({ Path: '/nothing' }))).Parameters).toEqual([]);
  await expect(ssm.send(new GetParametersByPathCommand({ Path: '/d/Stack', MaxResults: 11 }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(ssm.send(new GetParametersByPathCommand({ Path: 'd/Stack' }))).rejects.toMatchObject({ name: 'ValidationException' });
  await expect(ssm.send(new GetParametersByPathCommand({ Path: '/d/Other', NextToken: first.NextToken }))).rejects.toMatchObject({ name: 'InvalidNextToken' });
});
