/**
 * The endpoint's request quotas and injected faults (throttling, KMSInternalException, dropped
 * connections before or after a call takes effect), as the AWS SDK meets them over HTTP.
 */
import { DescribeCustomKeyStoresCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { startLocalKms } from '../../../local';
import { xks } from '../services/kms/store-requests';

test('faults: throttling at the quota, KMSInternalException, dropped connections', async () => {
  const limited = await startLocalKms({ faults: { seed: 7 } });
  const c = new KMSClient({ ...limited.clientConfig(), maxAttempts: 1 });
  try {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => c.send(new DescribeCustomKeyStoresCommand({}))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { name: 'ThrottlingException' } });
    limited.setFaults({ internalErrorRate: 1 });
    await expect(c.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
    limited.setFaults({ dropRate: 1, seed: 3 });
    await expect(c.send(new ListKeysCommand({}))).rejects.toThrow(/socket hang up/);
  } finally {
    await limited.stop();
  }
});

test('half the dropped connections drop after the call took effect: the caller hears nothing, KMS has the store', async () => {
  const dropping = await startLocalKms({ quotas: false, faults: { dropRate: 1, seed: 3 } });
  const c = new KMSClient({ ...dropping.clientConfig(), maxAttempts: 1 });
  try {
    for (let i = 0; i < 6; i++) {
      await expect(c.send(xks(`dropped-${i}`, `https://d${i}.example.com`))).rejects.toThrow(/socket hang up/);
    }
    const tookEffect = dropping.count('CreateCustomKeyStore', 'dropped-after-effect');
    expect(tookEffect).toBeGreaterThan(0);
    expect(tookEffect).toBeLessThan(6);
    expect(dropping.model.storeSnapshot()).toHaveLength(tookEffect);
  } finally {
    await dropping.stop();
  }
});
