/**
 * The local endpoint's CloudWatch PutMetricData, in the JSON 1.0 protocol, through the real AWS SDK.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LocalKms, startLocalKms } from '../../../local';

const DAY = 86_400_000;
let kms: LocalKms;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
});
afterEach(async () => kms.stop());

test('CloudWatch PutMetricData, in the JSON 1.0 protocol, keeps each datum; AWS/ namespaces and values that are not numbers are refused', async () => {
  const cw = new CloudWatchClient({ ...kms.clientConfig(), maxAttempts: 1 });
  const at = new Date(Math.floor(kms.clock.now() / 1000) * 1000 - 60_000);
  await cw.send(new PutMetricDataCommand({ Namespace: 'KmsCustomKeyStores', MetricData: [{ MetricName: 'Connected', Value: 0, Unit: 'Count', Timestamp: at, Dimensions: [{ Name: 'CustomKeyStoreId', Value: 'cks-1' }] }] }));
  expect(kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: 'cks-1' })).toEqual([
    { namespace: 'KmsCustomKeyStores', metricName: 'Connected', dimensions: { CustomKeyStoreId: 'cks-1' }, value: 0, unit: 'Count', at: at.getTime() },
  ]);
  expect(kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: 'cks-2' })).toEqual([]);
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/KMS', MetricData: [{ MetricName: 'M', Value: 1 }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [{ MetricName: 'M', Dimensions: [{ Name: 'D', Value: '' }], Value: 1 }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  // CloudWatch takes data from two weeks back to two hours ahead only.
  for (const off of [new Date(kms.clock.now() - 15 * DAY), new Date(kms.clock.now() + 3 * 3_600_000)]) {
    await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [{ MetricName: 'M', Value: 1, Timestamp: off }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  }
  expect(kms.cloudWatch.data).toHaveLength(1);
});
