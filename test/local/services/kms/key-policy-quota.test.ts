/**
 * A key policy document is limited to 32 KB (Developer Guide, resource quotas), not the API
 * model's 131,072 characters: CreateKey and PutKeyPolicy refuse a larger one with
 * LimitExceededException. Over HTTP with the real SDK.
 */
import { CreateKeyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';

let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ quotas: false, keyVisibilityLagMs: 0 });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

/** A valid key policy of exactly `bytes` bytes (the root statement, padded with a long Sid). */
function policyOf(bytes: number): string {
  const doc = (sid: string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] });
  return doc('S'.repeat(bytes - doc('').length));
}

const outcome = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
  );

test('CreateKey takes a policy of 32,768 bytes and refuses one byte more with LimitExceededException naming both sizes', async () => {
  expect(Buffer.byteLength(policyOf(32_768))).toBe(32_768);
  expect(await outcome(client.send(new CreateKeyCommand({ Policy: policyOf(32_768) })))).toBe('ok');
  expect(await outcome(client.send(new CreateKeyCommand({ Policy: policyOf(32_769) })))).toBe('LimitExceededException: The key policy document is 32769 bytes, which exceeds the maximum key policy size of 32768 bytes.');
});

test('PutKeyPolicy refuses a policy over 32 KB, and the key keeps its policy', async () => {
  const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
  expect(await outcome(client.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policyOf(40_000) })))).toMatch(/^LimitExceededException: The key policy document is 40000 bytes/);
  expect(kms.model.GetKeyPolicy({ KeyId: keyId }).Policy).not.toContain('SSSS');
});

test('switchable: with the quota off, only the model\'s 131,072 characters apply', async () => {
  kms.model.enforceKeyPolicyQuota = false;
  expect(await outcome(client.send(new CreateKeyCommand({ Policy: policyOf(40_000) })))).toBe('ok');
});
