/**
 * What the local endpoint keeps of CloudWatch: every datum PutMetricData receives (the watcher's
 * and the credential sync's metrics), checked as CloudWatch checks them, so that tests can read
 * back what an alarm would see.
 *
 * Inputs are the JSON bodies of CloudWatch's JSON 1.0 protocol (the AWS SDK's); timestamps are epoch seconds.
 */
import { Clock } from '../clock';
import { ServiceError } from '../endpoint/service-error';

type Json = Record<string, unknown>;

export interface Datum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly unit?: string;
  /** Clock milliseconds. */
  readonly at: number;
}

/** PutMetricData's documented limits: 1,000 metrics a request, 30 dimensions a metric, timestamps from two weeks before to two hours after now. */
const MAX_DATA = 1000;
const MAX_DIMENSIONS = 30;
const MAX_AGE_MS = 14 * 86_400_000;
const MAX_AHEAD_MS = 2 * 3_600_000;

export class CloudWatchModel {
  public readonly data: Datum[] = [];

  constructor(private readonly clock: Clock) {}

  public PutMetricData(input: Json): Json {
    const namespace = input.Namespace;
    if (typeof namespace !== 'string' || namespace.length < 1 || namespace.length > 255) {
      throw invalid('Namespace must be 1-255 characters.');
    }
    // "You can't specify a namespace that begins with 'AWS/'": those are the services' own.
    if (namespace.startsWith('AWS/')) {
      throw invalid(`The value AWS/ for parameter Namespace is invalid: namespaces beginning with AWS/ are reserved for AWS services.`);
    }
    const metricData = input.MetricData;
    if (!Array.isArray(metricData) || metricData.length < 1 || metricData.length > MAX_DATA) {
      throw invalid(`MetricData must hold 1-${MAX_DATA} items.`);
    }
    const accepted = metricData.map((raw: unknown) => {
      const item = (raw ?? {}) as Json;
      if (typeof item.MetricName !== 'string' || item.MetricName.length === 0) throw invalid('MetricName is required.');
      if (typeof item.Value !== 'number' || !Number.isFinite(item.Value)) throw invalid(`The parameter MetricData.member.Value of ${item.MetricName} must be a number.`);
      const dimensions = Array.isArray(item.Dimensions) ? (item.Dimensions as Json[]) : [];
      if (dimensions.length > MAX_DIMENSIONS) throw invalid(`At most ${MAX_DIMENSIONS} dimensions a metric.`);
      const map: Record<string, string> = {};
      for (const d of dimensions) {
        if (typeof d.Name !== 'string' || typeof d.Value !== 'string' || d.Value.length === 0) throw invalid('Each dimension needs a Name and a non-empty Value.');
        map[d.Name] = d.Value;
      }
      const now = this.clock.now();
      const at = typeof item.Timestamp === 'number' ? item.Timestamp * 1000 : now;
      if (at < now - MAX_AGE_MS || at > now + MAX_AHEAD_MS) {
        throw invalid(`The parameter MetricData.member.Timestamp of ${item.MetricName} must be within two weeks before and two hours after now.`);
      }
      return { namespace, metricName: item.MetricName, dimensions: map, value: item.Value, unit: item.Unit as string | undefined, at };
    });
    this.data.push(...accepted);
    return {};
  }

  /** The data of one metric whose dimensions include `dimensions`, oldest first. */
  public datapoints(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>> = {}): Datum[] {
    return this.data.filter((d) => d.namespace === namespace && d.metricName === metricName && Object.entries(dimensions).every(([k, v]) => d.dimensions[k] === v));
  }
}

function invalid(message: string): ServiceError {
  return new ServiceError('InvalidParameterValueException', message);
}
