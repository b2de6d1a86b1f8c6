/**
 * The metrics KMS publishes for external key stores, in `AWS/KMS`, as the KMS Developer Guide
 * lists them (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html):
 * shared by the store declared here and the imported store, which implement the same interface.
 *
 * KMS publishes most of them with more dimensions than the store's id (the operation, the key
 * spec, the certificate...), and CloudWatch has no data for a metric under a subset of the
 * dimensions it was published with. A metric that must cover the whole store is therefore a
 * CloudWatch Metrics Insights query, which aggregates over every series of a dimension set
 * (`SCHEMA`) and which, unlike SEARCH(), alarms can use.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { CustomKeyStoreType } from '../../custom-key-store-type';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from '../../errors';
import { XksExternalKeyManagerState, XksProxyErrorsMetricOptions, XksProxyErrorType } from '../../monitoring';
const KMS_NAMESPACE = 'AWS/KMS';
/** KMS's dimension for the store (the library's own metrics use the same name, on purpose). */
const STORE_ID_DIMENSION = 'CustomKeyStoreId';

/** What the metrics need of a store (ICustomKeyStore's fields, without importing the module that declares it). */
export interface MeteredStore extends IConstruct {
  readonly customKeyStoreId: string;
  readonly customKeyStoreType?: CustomKeyStoreType;
  readonly customKeyStoreName?: string;
}

/** A metric of the Guide's table: its name and the exact set of dimensions KMS publishes it with. */
interface KmsMetricSpec {
  readonly name: string;
  readonly dimensions: readonly string[];
  /** The query function (or statistic) when the caller names none. */
  readonly defaultStatistic: string;
  /** The one kind of store KMS publishes it for (default: external key stores). */
  readonly storeType?: CustomKeyStoreType;
}

const LATENCY: KmsMetricSpec = { name: 'XksProxyLatency', dimensions: [STORE_ID_DIMENSION, 'KmsOperation', 'XksOperation', 'KeySpec'], defaultStatistic: cloudwatch.Stats.AVERAGE };
const ERRORS: KmsMetricSpec = {
  name: 'XksProxyErrors',
  dimensions: [STORE_ID_DIMENSION, 'KmsOperation', 'XksOperation', 'KeySpec', 'ErrorType', 'ExceptionName'],
  defaultStatistic: cloudwatch.Stats.SUM,
};
const CERTIFICATE: KmsMetricSpec = { name: 'XksProxyCertificateDaysToExpire', dimensions: [STORE_ID_DIMENSION, 'CertificateName'], defaultStatistic: cloudwatch.Stats.MINIMUM };
const THROTTLE: KmsMetricSpec = { name: 'ExternalKeyStoreThrottle', dimensions: [STORE_ID_DIMENSION, 'KmsOperation', 'KeySpec'], defaultStatistic: cloudwatch.Stats.SUM };
const CLOUDHSM_THROTTLE: KmsMetricSpec = { ...THROTTLE, name: 'CloudHSMKeyStoreThrottle', storeType: CustomKeyStoreType.AWS_CLOUDHSM };
const CREDENTIAL_AGE = 'XksProxyCredentialAge';
const KEY_MANAGER_STATES = 'XksExternalKeyManagerStates';
const KEY_MANAGER_STATE_DIMENSION = 'XksExternalKeyManagerState';
/** The ErrorType of the successful requests KMS also counts in XksProxyErrors ("N/A: Successful request; no errors"). */
const SUCCESS_ERROR_TYPE = 'N/A';

/** Metrics Insights aggregates with these functions only; the keys are aws-cdk-lib's simple statistics and their aliases, lower-cased. */
const QUERY_FUNCTIONS: Readonly<Record<string, string>> = {
  average: 'AVG',
  avg: 'AVG',
  sum: 'SUM',
  minimum: 'MIN',
  min: 'MIN',
  maximum: 'MAX',
  max: 'MAX',
  samplecount: 'COUNT',
  n: 'COUNT',
};

/** MetricOptions a Metrics Insights query has no place for: refused rather than silently dropped. */
const NOT_FOR_QUERIES = ['unit', 'account', 'region', 'id', 'visible'] as const;

/** Any metric of the store in `AWS/KMS`, by its name: the store's id is always its `CustomKeyStoreId`. */
export function kmsMetric(store: MeteredStore, metricName: string, props: cloudwatch.MetricOptions = {}, method?: string): cloudwatch.Metric {
  // metric() itself takes any store: KMS publishes a few AWS/KMS metrics for CloudHSM key stores
  // too (their throttling); the named XKS metrics are refused for them.
  if (method !== undefined) {
    rejectCloudHsm(store, method);
  }
  return new cloudwatch.Metric({
    namespace: KMS_NAMESPACE,
    metricName,
    ...props,
    dimensionsMap: { ...props.dimensionsMap, [STORE_ID_DIMENSION]: store.customKeyStoreId },
  });
}

/**
 * `AWS/CloudHSM` `HsmUnhealthy` of a CloudHSM key store's cluster: by cluster, not by HSM, since
 * CloudHSM replaces an unhealthy HSM with one of a new HSM id.
 */
export function hsmUnhealthy(clusterId: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/CloudHSM',
    metricName: 'HsmUnhealthy',
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(5),
    ...props,
    dimensionsMap: { ...props.dimensionsMap, ClusterId: clusterId },
  });
}

export function xksProxyCredentialAge(store: MeteredStore, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return kmsMetric(store, CREDENTIAL_AGE, { statistic: cloudwatch.Stats.MAXIMUM, ...props }, 'metricXksProxyCredentialAge');
}

export function xksExternalKeyManagerStates(store: MeteredStore, state: XksExternalKeyManagerState, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  const method = 'metricXksExternalKeyManagerStates';
  const states: unknown[] = Object.values(XksExternalKeyManagerState);
  if (!states.includes(state)) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${method}: '${state}' is not an external key manager state; expected XksExternalKeyManagerState.ACTIVE, DEGRADED or UNAVAILABLE`, store);
  }
  return kmsMetric(store, KEY_MANAGER_STATES, { statistic: cloudwatch.Stats.MAXIMUM, ...props, dimensionsMap: { ...props.dimensionsMap, [KEY_MANAGER_STATE_DIMENSION]: state } }, method);
}

export function xksProxyLatency(store: MeteredStore, props: cloudwatch.MetricOptions = {}): cloudwatch.MathExpression {
  return storeQuery(store, 'metricXksProxyLatency', LATENCY, props, {});
}

export function xksProxyCertificateDaysToExpire(store: MeteredStore, props: cloudwatch.MetricOptions = {}): cloudwatch.MathExpression {
  // The minimum over every CertificateName: a renewed certificate may be published under a new name.
  return storeQuery(store, 'metricXksProxyCertificateDaysToExpire', CERTIFICATE, props, {});
}

export function cloudHsmKeyStoreThrottle(store: MeteredStore, props: cloudwatch.MetricOptions = {}): cloudwatch.MathExpression {
  return storeQuery(store, 'metricCloudHsmKeyStoreThrottle', CLOUDHSM_THROTTLE, props, {});
}

export function externalKeyStoreThrottle(store: MeteredStore, props: cloudwatch.MetricOptions = {}): cloudwatch.MathExpression {
  return storeQuery(store, 'metricExternalKeyStoreThrottle', THROTTLE, props, {});
}

export function xksProxyErrors(store: MeteredStore, props: XksProxyErrorsMetricOptions = {}): cloudwatch.MathExpression {
  const method = 'metricXksProxyErrors';
  const { errorType, ...options } = props;
  if (errorType === undefined) {
    // KMS records successful requests in XksProxyErrors too, with ErrorType 'N/A': leave them out,
    // unless the caller asks for an ErrorType of their own.
    const excluded: Record<string, string> = options.dimensionsMap?.ErrorType === undefined ? { ErrorType: SUCCESS_ERROR_TYPE } : {};
    return storeQuery(store, method, ERRORS, options, {}, excluded);
  }
  const types: unknown[] = Object.values(XksProxyErrorType);
  if (!types.includes(errorType)) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${method}: errorType '${errorType}' is not an XKS proxy error type; expected XksProxyErrorType.RETRYABLE or NON_RETRYABLE`, store);
  }
  if (options.dimensionsMap?.ErrorType !== undefined) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES, `${method}: both errorType and dimensionsMap.ErrorType are given; expected one of them`, store);
  }
  return storeQuery(store, method, ERRORS, options, { ErrorType: errorType });
}

/**
 * KMS publishes none of the XKS metrics for CloudHSM key stores: a metric of theirs would be an alarm that never
 * has data. A store of unknown kind (imported by id) may be an external key store.
 */
function rejectCloudHsm(store: MeteredStore, method: string): void {
  if (store.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH,
      `${method}: custom key store${nameOf(store)} is a CloudHSM key store, and KMS publishes AWS/KMS metrics by CustomKeyStoreId for external key stores only; expected an external key store. ` +
        "For a CloudHSM key store, use metricConnected() or addRecommendedAlarms() of a store declared with CustomKeyStore, and the cluster's own AWS/CloudHSM metrics (such as HsmUnhealthy, by ClusterId)",
      store,
    );
  }
}

/** The converse, for the one metric KMS publishes for CloudHSM key stores only. */
function rejectExternal(store: MeteredStore, method: string, metricName: string): void {
  if (store.customKeyStoreType === CustomKeyStoreType.EXTERNAL_KEY_STORE) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH,
      `${method}: custom key store${nameOf(store)} is an external key store, and KMS publishes ${metricName} for CloudHSM key stores only; expected a CloudHSM key store (an external key store's throttling is metricExternalKeyStoreThrottle())`,
      store,
    );
  }
}

/** The store's name for a message, when it is known and not a token. */
function nameOf(store: MeteredStore): string {
  return store.customKeyStoreName === undefined || Token.isUnresolved(store.customKeyStoreName) ? '' : ` '${store.customKeyStoreName}'`;
}

/**
 * A Metrics Insights query over every series of the metric's dimension set that belongs to the
 * store, with the caller's dimensionsMap as further filters. The store's id is usually a token
 * (the custom resource's Ref): inside the expression it renders as Fn::Join.
 */
function storeQuery(
  store: MeteredStore,
  method: string,
  spec: KmsMetricSpec,
  props: cloudwatch.MetricOptions,
  fixed: Readonly<Record<string, string>>,
  excluded: Readonly<Record<string, string>> = {},
): cloudwatch.MathExpression {
  if (spec.storeType === CustomKeyStoreType.AWS_CLOUDHSM) {
    rejectExternal(store, method, spec.name);
  } else {
    rejectCloudHsm(store, method);
  }
  const given = props as Readonly<Record<string, unknown>>;
  const refused = NOT_FOR_QUERIES.filter((option) => given[option] !== undefined);
  if (refused.length > 0) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.UNSUPPORTED_SETTING,
      `${method}: ${refused.join(', ')} cannot be applied to a CloudWatch Metrics Insights query, which this metric is (KMS publishes ${spec.name} by ${spec.dimensions.join(', ')}); expected label, color, period, statistic and dimensionsMap only`,
      store,
    );
  }
  const statistic = props.statistic ?? spec.defaultStatistic;
  const fn = QUERY_FUNCTIONS[statistic.toLowerCase()] as string | undefined;
  if (fn === undefined) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.UNSUPPORTED_SETTING,
      `${method}: statistic '${statistic}' cannot be computed by a CloudWatch Metrics Insights query, which this metric is (KMS publishes ${spec.name} by ${spec.dimensions.join(', ')}); expected Average, Sum, Minimum, Maximum or SampleCount (the query's AVG, SUM, MIN, MAX and COUNT)`,
      store,
    );
  }
  checkQueryPeriod(store, method, props.period);
  const filters: Record<string, string> = { ...props.dimensionsMap, ...fixed };
  const filterable = spec.dimensions.filter((d) => d !== STORE_ID_DIMENSION);
  const conditions = [`${STORE_ID_DIMENSION} = '${store.customKeyStoreId}'`];
  for (const key of Object.keys(filters).sort()) {
    if (!filterable.includes(key)) {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${method}: dimensionsMap has '${key}', which ${spec.name} is not published with; expected some of ${[...filterable].sort().join(', ')}`, store);
    }
    conditions.push(`${key} = '${queryLiteral(store, method, key, filters[key])}'`);
  }
  for (const [key, value] of Object.entries(excluded)) {
    conditions.push(`${key} != '${value}'`);
  }
  const schema = [...spec.dimensions].sort().join(', ');
  return new cloudwatch.MathExpression({
    expression: `SELECT ${fn}(${spec.name}) FROM SCHEMA("${KMS_NAMESPACE}", ${schema}) WHERE ${conditions.join(' AND ')}`,
    usingMetrics: {},
    period: props.period,
    label: props.label,
    color: props.color,
  });
}

/** Metrics Insights queries only the most recent 3 hours of data (CloudWatch quotas), so a longer period never fills. */
const MAX_QUERY_PERIOD_SECONDS = 3 * 3600;

/**
 * Metrics Insights does not support high-resolution data: it aggregates by the minute; and it
 * queries only the last 3 hours, so a longer period (or an alarm on one) would show no value.
 */
function checkQueryPeriod(scope: IConstruct, method: string, period: Duration | undefined): void {
  if (period === undefined || period.isUnresolved()) {
    return;
  }
  const seconds = period.toSeconds();
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${method}: period ${period.toHumanString()} is not a whole number of minutes; expected 1 minute or more, in whole minutes (CloudWatch Metrics Insights aggregates by the minute)`, scope);
  }
  if (seconds > MAX_QUERY_PERIOD_SECONDS) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.OUT_OF_RANGE,
      `${method}: period ${period.toHumanString()} is longer than 3 hours; expected at most 3 hours (this metric is a CloudWatch Metrics Insights query, which reads only the most recent 3 hours of data: a longer period, or an alarm whose period times evaluation periods exceeds it, shows no value)`,
      scope,
    );
  }
}

/** A dimension value quoted in the query: a token passes (CloudFormation resolves it); a quote or backslash would end the literal. */
function queryLiteral(scope: IConstruct, method: string, key: string, value: string): string {
  if (!Token.isUnresolved(value) && /['\\]/.test(value)) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${method}: dimensionsMap.${key} '${value}' has a quote or a backslash; expected a dimension value KMS publishes, such as 'Encrypt' or 'SYMMETRIC_DEFAULT'`, scope);
  }
  return value;
}
