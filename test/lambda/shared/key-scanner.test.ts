/** The key scan: which keys are in a store, when KMS has no API that lists them. */
import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { findKeysInStore } from '../../../lambda/shared/key-scanner';
import { awsError, kmsMock, resetMocks } from '../custom-key-store-handler/harness';

const ID = 'cks-1234567890abcdef0';

beforeEach(resetMocks);

describe('the key scan', () => {
  test('the key scan pages through ListKeys, skips keys deleted meanwhile and stops on other errors', async () => {
    kmsMock.on(ListKeysCommand).resolvesOnce({ Keys: [{ KeyId: 'a' }, { KeyId: 'gone' }], Truncated: true, NextMarker: 'm1' }).resolves({ Keys: [{ KeyId: 'b' }], Truncated: false });
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
      if (input.KeyId === 'gone') throw awsError('NotFoundException', 'deleted');
      return { KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: ID, KeyState: 'Enabled' } };
    });
    const kms = new KMSClient({ region: 'us-east-1' });
    const result = await findKeysInStore(kms, ID, { describeRatePerSecond: 100_000 });
    expect(result.keys.map((k) => k.keyId)).toEqual(['a', 'b']);
    expect(result.scanned).toBe(2);
    expect(kmsMock).toHaveReceivedCommandWith(ListKeysCommand, { Marker: 'm1' });

    kmsMock.on(DescribeKeyCommand).rejects(awsError('KMSInvalidStateException', 'no'));
    await expect(findKeysInStore(kms, ID, { describeRatePerSecond: 100_000 })).rejects.toThrow('no');
  });

  test('the key scan counts keys whose key policy denies DescribeKey, and goes on', async () => {
    kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'a' }, { KeyId: 'locked-2' }, { KeyId: 'b' }, { KeyId: 'locked-1' }], Truncated: false });
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
      if (input.KeyId.startsWith('locked')) throw awsError('AccessDeniedException', 'no resource-based policy allows the kms:DescribeKey action');
      return { KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: input.KeyId === 'a' ? ID : undefined, KeyState: 'Enabled' } };
    });
    const result = await findKeysInStore(new KMSClient({ region: 'us-east-1' }), ID, { describeRatePerSecond: 100_000 });
    expect(result.keys.map((k) => k.keyId)).toEqual(['a']);
    expect(result.unreadable).toEqual(['locked-1', 'locked-2']);
    expect(result.scanned).toBe(2);
  });
});
