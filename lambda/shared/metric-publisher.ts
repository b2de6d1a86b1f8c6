/** PutMetricData into the library's namespace, in requests of at most 1,000 data (CloudWatch's limit). */
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { OPERATIONS_NAMESPACE } from '../../lib/private/contract/operations-metrics';
import { RetryOptions, withRetry } from './retry';

const MAX_DATA_PER_REQUEST = 1000;

export async function publishMetrics(cloudWatch: CloudWatchClient, data: MetricDatum[], retry: RetryOptions): Promise<void> {
  for (let i = 0; i < data.length; i += MAX_DATA_PER_REQUEST) {
    const chunk = data.slice(i, i + MAX_DATA_PER_REQUEST);
    await withRetry(async () => cloudWatch.send(new PutMetricDataCommand({ Namespace: OPERATIONS_NAMESPACE, MetricData: chunk })), retry);
  }
}

/** One datum of a per-store metric. */
export function storeDatum(metricName: string, value: number, dimensions: Record<string, string>, at: Date, unit: 'Count' | 'Milliseconds' = 'Count'): MetricDatum {
  return { MetricName: metricName, Value: value, Unit: unit, Timestamp: at, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) };
}
