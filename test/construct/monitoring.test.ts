/**
 * The store's metrics and recommended alarms, against the KMS Developer Guide:
 * - metrics and their exact dimensions: https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
 * - recommended alarms: https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html
 * - CloudHSM's HsmUnhealthy, by cluster: https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm-metrics-cw.html
 */
import { CfnElement, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CustomKeyStore, CustomKeyStoreType, ICustomKeyStore, RecommendedAlarmsOptions, XksExternalKeyManagerState, XksProxyErrorType } from '../../lib';
import { WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { cfnLint, synthWithNag } from '../fixtures/checks';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, maskedTemplate, newStack, publicBackend, vpcBackend } from '../fixtures/stacks';

const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:key-store-alarms`;

function externalStore(stack: Stack, id = 'Xks', props: { syncProxyCredential?: boolean; connected?: boolean } = {}): CustomKeyStore {
  return new CustomKeyStore(stack, id, { customKeyStoreName: `${id.toLowerCase()}-store`, backend: publicBackend(stack), ...props });
}

function hsmStore(stack: Stack, id = 'Hsm', props: { connected?: boolean } = {}): CustomKeyStore {
  return new CustomKeyStore(stack, id, { customKeyStoreName: `${id.toLowerCase()}-store`, backend: cloudHsmBackend(stack), ...props });
}

/** `{ Ref: <logical id> }` of a store declared here. */
function ref(store: CustomKeyStore): unknown {
  return store.stack.resolve(store.customKeyStoreId);
}

/** The expression a query renders as, with the store id token between `before` and `after`. */
function joined(before: string, storeRef: unknown, after: string): unknown {
  return { 'Fn::Join': ['', [before, storeRef, after]] };
}

/** A Metrics Insights metric as the stack renders it. */
function queryOf(stack: Stack, metric: cloudwatch.IMetric): { expression: unknown; period: number; label?: string } {
  const config = metric.toMetricConfig();
  expect(config.metricStat).toBeUndefined();
  expect(config.mathExpression?.usingMetrics).toEqual({});
  return { expression: stack.resolve(config.mathExpression?.expression), period: config.mathExpression?.period as number, label: config.renderingProperties?.label as string | undefined };
}

/** A plain metric as the stack renders it. */
function statOf(stack: Stack, metric: cloudwatch.IMetric): Record<string, unknown> {
  const stat = metric.toMetricConfig().metricStat;
  if (!stat) throw new Error('expected a plain metric');
  return stack.resolve({ namespace: stat.namespace, metricName: stat.metricName, dimensions: stat.dimensions, statistic: stat.statistic, period: stat.period.toSeconds() }) as Record<string, unknown>;
}

/** Each alarm's properties in the template, by its construct id. */
function alarmProperties(stack: Stack, alarms: cloudwatch.Alarm[]): Record<string, Record<string, unknown>> {
  const resources = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  return Object.fromEntries(alarms.map((alarm) => [alarm.node.id, resources[stack.getLogicalId(alarm.node.defaultChild as CfnElement)].Properties as Record<string, unknown>]));
}

function withoutDescription(props: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...props };
  delete rest.AlarmDescription;
  return rest;
}

/** The store ids the stack's connection watcher reads, as its environment renders them (a JSON array of Refs). */
function watchedStores(stack: Stack): unknown {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [WATCHED_STORES_ENV]: Match.anyValue() } } } });
  const watchers = Object.values(functions) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
  expect(watchers).toHaveLength(1);
  return watchers[0].Properties.Environment.Variables[WATCHED_STORES_ENV];
}

const LATENCY_SCHEMA = 'SCHEMA("AWS/KMS", CustomKeyStoreId, KeySpec, KmsOperation, XksOperation)';
const ERRORS_SCHEMA = 'SCHEMA("AWS/KMS", CustomKeyStoreId, ErrorType, ExceptionName, KeySpec, KmsOperation, XksOperation)';
const CERTIFICATE_SCHEMA = 'SCHEMA("AWS/KMS", CertificateName, CustomKeyStoreId)';
const THROTTLE_SCHEMA = 'SCHEMA("AWS/KMS", CustomKeyStoreId, KeySpec, KmsOperation)';

describe('metrics of an external key store (AWS/KMS, monitoring-cloudwatch.html)', () => {
  test('metric(): AWS/KMS by CustomKeyStoreId, other dimensions added, the store id always its own', () => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(statOf(stack, store.metric('XksProxyCredentialAge'))).toEqual({
      namespace: 'AWS/KMS', metricName: 'XksProxyCredentialAge', dimensions: [{ name: 'CustomKeyStoreId', value: ref(store) }], statistic: 'Average', period: 300,
    });
    const narrowed = store.metric('XksProxyLatency', { dimensionsMap: { KmsOperation: 'Encrypt', CustomKeyStoreId: 'cks-other' }, statistic: 'p99', period: Duration.minutes(1) });
    expect(statOf(stack, narrowed)).toEqual({
      namespace: 'AWS/KMS',
      metricName: 'XksProxyLatency',
      dimensions: [{ name: 'CustomKeyStoreId', value: ref(store) }, { name: 'KmsOperation', value: 'Encrypt' }],
      statistic: 'p99',
      period: 60,
    });
  });

  test('metricXksProxyCredentialAge (Per-Keystore Metrics): CustomKeyStoreId only, Maximum', () => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(store.metricXksProxyCredentialAge()).toBeInstanceOf(cloudwatch.Metric);
    expect(statOf(stack, store.metricXksProxyCredentialAge())).toEqual({
      namespace: 'AWS/KMS', metricName: 'XksProxyCredentialAge', dimensions: [{ name: 'CustomKeyStoreId', value: ref(store) }], statistic: 'Maximum', period: 300,
    });
    expect(statOf(stack, store.metricXksProxyCredentialAge({ statistic: cloudwatch.Stats.AVERAGE, period: Duration.hours(1) }))).toMatchObject({ statistic: 'Average', period: 3600 });
  });

  test.each(Object.values(XksExternalKeyManagerState))('metricXksExternalKeyManagerStates(%s) (XKS External Key Manager Metrics): the store and the state, Maximum', (state) => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(statOf(stack, store.metricXksExternalKeyManagerStates(state))).toEqual({
      namespace: 'AWS/KMS',
      metricName: 'XksExternalKeyManagerStates',
      dimensions: [{ name: 'CustomKeyStoreId', value: ref(store) }, { name: 'XksExternalKeyManagerState', value: state }],
      statistic: 'Maximum',
      period: 300,
    });
  });

  test('the key manager states are the three the Guide names', () => {
    expect(Object.values(XksExternalKeyManagerState)).toEqual(['Active', 'Degraded', 'Unavailable']);
    expect(Object.values(XksProxyErrorType)).toEqual(['Retryable', 'Non-retryable']);
  });

  test('metricXksProxyLatency: AVG over every operation and key spec of the store, the store id rendered by Ref', () => {
    const stack = newStack();
    const store = externalStore(stack);
    const latency = store.metricXksProxyLatency();
    expect(latency).toBeInstanceOf(cloudwatch.MathExpression);
    expect(queryOf(stack, latency)).toEqual({
      expression: joined(`SELECT AVG(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"),
      period: 300,
      label: undefined,
    });
  });

  test('metricXksProxyErrors: SUM of every error, or of one ErrorType', () => {
    const stack = newStack();
    const store = externalStore(stack);
    // Without an ErrorType, the successful requests KMS also records (ErrorType 'N/A') are left out.
    expect(queryOf(stack, store.metricXksProxyErrors()).expression).toEqual(joined(`SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "' AND ErrorType != 'N/A'"));
    expect(queryOf(stack, store.metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE, period: Duration.minutes(1) }))).toEqual({
      expression: joined(`SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "' AND ErrorType = 'Retryable'"),
      period: 60,
      label: undefined,
    });
    expect(queryOf(stack, store.metricXksProxyErrors({ errorType: XksProxyErrorType.NON_RETRYABLE })).expression).toEqual(
      joined(`SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "' AND ErrorType = 'Non-retryable'"),
    );
  });

  test('metricXksProxyCertificateDaysToExpire: MIN over every certificate name; metricExternalKeyStoreThrottle: SUM over operations and key specs', () => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(queryOf(stack, store.metricXksProxyCertificateDaysToExpire()).expression).toEqual(
      joined(`SELECT MIN(XksProxyCertificateDaysToExpire) FROM ${CERTIFICATE_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"),
    );
    expect(queryOf(stack, store.metricExternalKeyStoreThrottle()).expression).toEqual(
      joined(`SELECT SUM(ExternalKeyStoreThrottle) FROM ${THROTTLE_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"),
    );
  });

  test('a query takes label, color and period, and dimensionsMap entries as filters, in name order', () => {
    const stack = newStack();
    const store = externalStore(stack);
    const metric = store.metricXksProxyLatency({ label: 'Encrypt latency', color: '#ff0000', period: Duration.minutes(15), dimensionsMap: { XksOperation: 'Encrypt', KmsOperation: 'GenerateDataKey' } });
    expect(queryOf(stack, metric)).toEqual({
      expression: joined(`SELECT AVG(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "' AND KmsOperation = 'GenerateDataKey' AND XksOperation = 'Encrypt'"),
      period: 900,
      label: 'Encrypt latency',
    });
    expect(metric.toMetricConfig().renderingProperties?.color).toBe('#ff0000');
    expect(queryOf(stack, store.metricXksProxyErrors({ errorType: XksProxyErrorType.NON_RETRYABLE, dimensionsMap: { ExceptionName: 'KMSInvalidStateException' } })).expression).toEqual(
      joined(`SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "' AND ErrorType = 'Non-retryable' AND ExceptionName = 'KMSInvalidStateException'"),
    );
  });

  test.each([
    [cloudwatch.Stats.AVERAGE, 'AVG'], ['avg', 'AVG'], [cloudwatch.Stats.SUM, 'SUM'], [cloudwatch.Stats.MINIMUM, 'MIN'], ['min', 'MIN'],
    [cloudwatch.Stats.MAXIMUM, 'MAX'], ['max', 'MAX'], [cloudwatch.Stats.SAMPLE_COUNT, 'COUNT'], ['n', 'COUNT'],
  ])('statistic %s becomes the query function %s', (statistic, fn) => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(queryOf(stack, store.metricXksProxyLatency({ statistic })).expression).toEqual(joined(`SELECT ${fn}(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"));
  });

  test.each([cloudwatch.Stats.p(99), 'tm90', cloudwatch.Stats.IQM, 'PR(:300)'])('statistic %s is refused: a Metrics Insights query cannot compute it', (statistic) => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(() => store.metricXksProxyLatency({ statistic })).toThrow(
      `metricXksProxyLatency: statistic '${statistic}' cannot be computed by a CloudWatch Metrics Insights query, which this metric is (KMS publishes XksProxyLatency by CustomKeyStoreId, KmsOperation, XksOperation, KeySpec); expected Average, Sum, Minimum, Maximum or SampleCount (the query's AVG, SUM, MIN, MAX and COUNT) (at KeyStores/Xks)`,
    );
  });

  test('options a query cannot honour are refused, not dropped', () => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(() => store.metricXksProxyErrors({ unit: cloudwatch.Unit.COUNT, account: '444455556666' })).toThrow(
      'metricXksProxyErrors: unit, account cannot be applied to a CloudWatch Metrics Insights query, which this metric is',
    );
    expect(() => store.metricXksProxyLatency({ dimensionsMap: { CertificateName: 'proxy' } })).toThrow(
      "metricXksProxyLatency: dimensionsMap has 'CertificateName', which XksProxyLatency is not published with; expected some of KeySpec, KmsOperation, XksOperation",
    );
    expect(() => store.metricXksProxyLatency({ dimensionsMap: { KmsOperation: "Encrypt' OR 1=1 --" } })).toThrow("metricXksProxyLatency: dimensionsMap.KmsOperation 'Encrypt' OR 1=1 --' has a quote or a backslash");
    expect(() => store.metricXksProxyLatency({ period: Duration.seconds(30) })).toThrow('metricXksProxyLatency: period 30 seconds is not a whole number of minutes');
    // Metrics Insights reads only the last 3 hours: a longer period would never show a value.
    for (const [method, build] of [
      ['metricXksProxyLatency', (period: Duration) => store.metricXksProxyLatency({ period })],
      ['metricXksProxyErrors', (period: Duration) => store.metricXksProxyErrors({ period })],
      ['metricXksProxyCertificateDaysToExpire', (period: Duration) => store.metricXksProxyCertificateDaysToExpire({ period })],
      ['metricExternalKeyStoreThrottle', (period: Duration) => store.metricExternalKeyStoreThrottle({ period })],
    ] as const) {
      expect(() => build(Duration.hours(3))).not.toThrow();
      expect(() => build(Duration.minutes(181))).toThrow(
        `${method}: period 3 hours 1 minute is longer than 3 hours; expected at most 3 hours (this metric is a CloudWatch Metrics Insights query, which reads only the most recent 3 hours of data`,
      );
    }
    expect(() => store.metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE, dimensionsMap: { ErrorType: 'Retryable' } })).toThrow(
      'metricXksProxyErrors: both errorType and dimensionsMap.ErrorType are given; expected one of them',
    );
    expect(() => store.metricXksProxyErrors({ errorType: 'Fatal' as unknown as XksProxyErrorType })).toThrow("metricXksProxyErrors: errorType 'Fatal' is not an XKS proxy error type");
    expect(() => store.metricXksExternalKeyManagerStates('Down' as unknown as XksExternalKeyManagerState)).toThrow("metricXksExternalKeyManagerStates: 'Down' is not an external key manager state");
  });

  test('an alarm on a query: the expression as Fn::Join and the Period on the query entry; no warning (SELECT skips the identifier check)', () => {
    const stack = newStack();
    const store = externalStore(stack);
    new cloudwatch.Alarm(stack, 'Slow', { metric: store.metricXksProxyLatency(), threshold: 100, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [{ Id: 'expr_1', Expression: joined(`SELECT AVG(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"), Period: 300, ReturnData: true }],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('metrics of imported stores', () => {
  test('a store imported by id (kind unknown) has the XKS metrics, its literal id in the query', () => {
    const stack = newStack();
    const imported: ICustomKeyStore = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    expect(queryOf(stack, imported.metricXksProxyLatency()).expression).toBe(`SELECT AVG(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = 'cks-1234567890abcdef0'`);
    expect(queryOf(stack, imported.metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE })).expression).toBe(
      `SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = 'cks-1234567890abcdef0' AND ErrorType = 'Retryable'`,
    );
    expect(queryOf(stack, imported.metricXksProxyCertificateDaysToExpire()).expression).toBe(`SELECT MIN(XksProxyCertificateDaysToExpire) FROM ${CERTIFICATE_SCHEMA} WHERE CustomKeyStoreId = 'cks-1234567890abcdef0'`);
    expect(queryOf(stack, imported.metricExternalKeyStoreThrottle()).expression).toBe(`SELECT SUM(ExternalKeyStoreThrottle) FROM ${THROTTLE_SCHEMA} WHERE CustomKeyStoreId = 'cks-1234567890abcdef0'`);
    expect(statOf(stack, imported.metricXksProxyCredentialAge()).dimensions).toEqual([{ name: 'CustomKeyStoreId', value: 'cks-1234567890abcdef0' }]);
    expect(statOf(stack, imported.metricXksExternalKeyManagerStates(XksExternalKeyManagerState.UNAVAILABLE)).dimensions).toEqual([
      { name: 'CustomKeyStoreId', value: 'cks-1234567890abcdef0' },
      { name: 'XksExternalKeyManagerState', value: 'Unavailable' },
    ]);
    expect(statOf(stack, imported.metric('ExternalKeyStoreThrottle', { dimensionsMap: { KmsOperation: 'Encrypt', KeySpec: 'SYMMETRIC_DEFAULT' } })).dimensions).toHaveLength(3);
  });

  test('an imported external key store has them too; one imported as CloudHSM refuses them', () => {
    const stack = newStack();
    const external = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'ImportedXks', { customKeyStoreId: 'cks-1', customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE });
    expect(statOf(stack, external.metricXksProxyCredentialAge()).metricName).toBe('XksProxyCredentialAge');
    const hsm = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'ImportedHsm', { customKeyStoreId: 'cks-2', customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM, customKeyStoreName: 'legacy-hsm' });
    expect(() => hsm.metricXksProxyLatency()).toThrow(
      "metricXksProxyLatency: custom key store 'legacy-hsm' is a CloudHSM key store, and KMS publishes AWS/KMS metrics by CustomKeyStoreId for external key stores only; expected an external key store. " +
        "For a CloudHSM key store, use metricConnected() or addRecommendedAlarms() of a store declared with CustomKeyStore, and the cluster's own AWS/CloudHSM metrics (such as HsmUnhealthy, by ClusterId) (at KeyStores/ImportedHsm)",
    );
  });
});

describe('a CloudHSM key store: none of the XKS metrics, its own throttling', () => {
  test('metric() takes it: KMS publishes a few AWS/KMS metrics for CloudHSM key stores (their throttling) by CustomKeyStoreId', () => {
    const stack = newStack();
    const store = hsmStore(stack);
    expect(statOf(stack, store.metric('CloudHSMKeyStoreThrottle', { dimensionsMap: { KmsOperation: 'Encrypt', KeySpec: 'SYMMETRIC_DEFAULT' } }))).toMatchObject({
      namespace: 'AWS/KMS',
      metricName: 'CloudHSMKeyStoreThrottle',
    });
  });

  test('metricCloudHsmKeyStoreThrottle (Keystore Throttle Metrics): SUM over operations and key specs; refused for an external key store', () => {
    const stack = newStack();
    const store = hsmStore(stack);
    expect(queryOf(stack, store.metricCloudHsmKeyStoreThrottle()).expression).toEqual(
      joined(`SELECT SUM(CloudHSMKeyStoreThrottle) FROM ${THROTTLE_SCHEMA} WHERE CustomKeyStoreId = '`, ref(store), "'"),
    );
    const unknownKind = CustomKeyStore.fromCustomKeyStoreId(stack, 'ById', 'cks-1234567890abcdef0');
    expect(queryOf(stack, unknownKind.metricCloudHsmKeyStoreThrottle()).expression).toBe(`SELECT SUM(CloudHSMKeyStoreThrottle) FROM ${THROTTLE_SCHEMA} WHERE CustomKeyStoreId = 'cks-1234567890abcdef0'`);
    expect(() => externalStore(stack).metricCloudHsmKeyStoreThrottle()).toThrow(
      /^metricCloudHsmKeyStoreThrottle: custom key store '.*' is an external key store, and KMS publishes CloudHSMKeyStoreThrottle for CloudHSM key stores only; expected a CloudHSM key store \(an external key store's throttling is metricExternalKeyStoreThrottle\(\)\)/,
    );
  });

  const calls: Array<[string, (store: ICustomKeyStore) => unknown]> = [
    ['metricXksProxyLatency', (s) => s.metricXksProxyLatency()],
    ['metricXksProxyErrors', (s) => s.metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE })],
    ['metricXksProxyCertificateDaysToExpire', (s) => s.metricXksProxyCertificateDaysToExpire()],
    ['metricXksProxyCredentialAge', (s) => s.metricXksProxyCredentialAge()],
    ['metricXksExternalKeyManagerStates', (s) => s.metricXksExternalKeyManagerStates(XksExternalKeyManagerState.DEGRADED)],
    ['metricExternalKeyStoreThrottle', (s) => s.metricExternalKeyStoreThrottle()],
  ];
  test.each(calls)('%s() is refused at synth, saying why and what to use instead', (method, call) => {
    const stack = newStack();
    const store = hsmStore(stack);
    expect(() => call(store)).toThrow(`${method}: custom key store 'hsm-store' is a CloudHSM key store, and KMS publishes AWS/KMS metrics by CustomKeyStoreId for external key stores only`);
    expect(() => call(store)).toThrow(/use metricConnected\(\) or addRecommendedAlarms\(\).*AWS\/CloudHSM metrics \(such as HsmUnhealthy, by ClusterId\) \(at KeyStores\/Hsm\)$/);
  });
});

describe("the library's own metrics (KmsCustomKeyStores)", () => {
  test('metricConnected: Connected by CustomKeyStoreId, Maximum over 1 minute, for either kind; it turns the watcher on', () => {
    const stack = newStack();
    const hsm = hsmStore(stack);
    const xks = externalStore(stack);
    expect(stack.node.tryFindChild('KmsCustomKeyStoreConnectionWatcher')).toBeUndefined();
    for (const store of [hsm, xks]) {
      expect(statOf(stack, store.metricConnected())).toEqual({
        namespace: 'KmsCustomKeyStores', metricName: 'Connected', dimensions: [{ name: 'CustomKeyStoreId', value: ref(store) }], statistic: 'Maximum', period: 60,
      });
    }
    expect(watchedStores(stack)).toEqual({ 'Fn::Join': ['', ['["', ref(hsm), '","', ref(xks), '"]']] });
  });

  test('metricConfigurationDrift and metricDriftedKeys: by CustomKeyStoreId, Maximum over 1 minute; they turn the watcher on', () => {
    const stack = newStack();
    const hsm = hsmStore(stack);
    const xks = externalStore(stack);
    expect(statOf(stack, hsm.metricConfigurationDrift())).toEqual({ namespace: 'KmsCustomKeyStores', metricName: 'ConfigurationDrift', dimensions: [{ name: 'CustomKeyStoreId', value: ref(hsm) }], statistic: 'Maximum', period: 60 });
    expect(statOf(stack, xks.metricDriftedKeys())).toEqual({ namespace: 'KmsCustomKeyStores', metricName: 'DriftedKeys', dimensions: [{ name: 'CustomKeyStoreId', value: ref(xks) }], statistic: 'Maximum', period: 60 });
    expect(watchedStores(stack)).toEqual({ 'Fn::Join': ['', ['["', ref(hsm), '","', ref(xks), '"]']] });
  });

  test('metricProxyCredentialSyncFailed: only for a store declared with syncProxyCredential; Maximum over 5 minutes', () => {
    const stack = newStack();
    const synced = externalStore(stack, 'Synced', { syncProxyCredential: true });
    expect(statOf(stack, synced.metricProxyCredentialSyncFailed())).toEqual({
      namespace: 'KmsCustomKeyStores', metricName: 'ProxyCredentialSyncFailed', dimensions: [{ name: 'CustomKeyStoreId', value: ref(synced) }], statistic: 'Maximum', period: 300,
    });
    const plain = externalStore(stack, 'Plain');
    expect(() => plain.metricProxyCredentialSyncFailed()).toThrow(
      'metricProxyCredentialSyncFailed: the store was not declared with syncProxyCredential: true, so nothing publishes this metric for it; expected a store declared with syncProxyCredential: true (at KeyStores/Plain)',
    );
  });
});

describe('addRecommendedAlarms', () => {
  // The Guide's recommended alarms (xks-alarms.html), plus the library's own, as CloudFormation renders them.
  const insights = (storeRef: unknown, before: string, after: string, period: number): Record<string, unknown> => ({
    Metrics: [{ Id: 'expr_1', Expression: joined(before, storeRef, after), Period: period, ReturnData: true }],
  });
  const plain = (namespace: string, metricName: string, dimensions: Record<string, unknown>, statistic: string, period: number): Record<string, unknown> => ({
    Namespace: namespace,
    MetricName: metricName,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: statistic,
    Period: period,
  });
  const rule = (comparison: string, threshold: number, missing: string, periods = 1): Record<string, unknown> => ({
    ComparisonOperator: comparison, Threshold: threshold, EvaluationPeriods: periods, DatapointsToAlarm: periods, TreatMissingData: missing,
  });

  const externalExpected = (storeRef: unknown, credentialMaxAgeDays = 90): Record<string, Record<string, unknown>> => ({
    // Certificate: XKS Proxy Certificate Metrics, Minimum, 5 minutes, lower than 10.
    ProxyCertificateExpiry: {
      ...insights(storeRef, `SELECT MIN(XksProxyCertificateDaysToExpire) FROM ${CERTIFICATE_SCHEMA} WHERE CustomKeyStoreId = '`, "'", 300),
      ...rule('LessThanThreshold', 10, 'ignore'),
    },
    // Response timeout: XksProxyLatency, Average, 5 minutes, greater than 200 (ms; KMS times out at 250 ms).
    ProxyLatency: {
      ...insights(storeRef, `SELECT AVG(XksProxyLatency) FROM ${LATENCY_SCHEMA} WHERE CustomKeyStoreId = '`, "'", 300),
      ...rule('GreaterThanThreshold', 200, 'notBreaching'),
    },
    // Retryable errors: SUM of XksProxyErrors with ErrorType Retryable, 1 minute, greater than 5.
    ProxyRetryableErrors: {
      ...insights(storeRef, `SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, "' AND ErrorType = 'Retryable'", 60),
      ...rule('GreaterThanThreshold', 5, 'notBreaching'),
    },
    // Non-retryable errors: the same with ErrorType Non-retryable.
    ProxyNonRetryableErrors: {
      ...insights(storeRef, `SELECT SUM(XksProxyErrors) FROM ${ERRORS_SCHEMA} WHERE CustomKeyStoreId = '`, "' AND ErrorType = 'Non-retryable'", 60),
      ...rule('GreaterThanThreshold', 5, 'notBreaching'),
    },
    // External key manager instances Degraded or Unavailable: any at all.
    KeyManagerDegraded: {
      ...plain('AWS/KMS', 'XksExternalKeyManagerStates', { CustomKeyStoreId: storeRef, XksExternalKeyManagerState: 'Degraded' }, 'Maximum', 300),
      ...rule('GreaterThanThreshold', 0, 'notBreaching'),
    },
    KeyManagerUnavailable: {
      ...plain('AWS/KMS', 'XksExternalKeyManagerStates', { CustomKeyStoreId: storeRef, XksExternalKeyManagerState: 'Unavailable' }, 'Maximum', 300),
      ...rule('GreaterThanThreshold', 0, 'notBreaching'),
    },
    // Credential age (Per-Keystore Metrics): older than credentialMaxAge, in days, looked at hourly.
    ProxyCredentialAge: {
      ...plain('AWS/KMS', 'XksProxyCredentialAge', { CustomKeyStoreId: storeRef }, 'Maximum', 3600),
      ...rule('GreaterThanThreshold', credentialMaxAgeDays, 'ignore'),
    },
  });
  const syncExpected = (storeRef: unknown): Record<string, unknown> => ({
    ...plain('KmsCustomKeyStores', 'ProxyCredentialSyncFailed', { CustomKeyStoreId: storeRef }, 'Maximum', 300),
    ...rule('GreaterThanOrEqualToThreshold', 1, 'ignore'),
  });
  const connectionExpected = (storeRef: unknown, minutes = 30): Record<string, unknown> => ({
    ...plain('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: storeRef }, 'Maximum', 60),
    // Not breaching: a fresh store's alarm must not fire before the watcher's first run (alarm-evaluation.test.ts).
    ...rule('LessThanThreshold', 1, 'notBreaching', minutes),
  });
  // The watcher's own failures stand in for a silent watcher: five failed runs in 5 minutes, twice.
  const watcherExpected = (stack: Stack): Record<string, unknown> => ({
    ...plain('AWS/Lambda', 'Errors', { FunctionName: { Ref: Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('connection watcher') } }))[0] } }, 'Sum', 300),
    ...rule('GreaterThanOrEqualToThreshold', 5, 'notBreaching', 2),
  });
  // Drift in five runs in a row: a deployment's own change shows for a minute or two at most.
  const driftExpected = (storeRef: unknown): Record<string, unknown> => ({
    ...plain('KmsCustomKeyStores', 'ConfigurationDrift', { CustomKeyStoreId: storeRef }, 'Maximum', 60),
    ...rule('GreaterThanOrEqualToThreshold', 1, 'notBreaching', 5),
  });
  const availableExpected = (storeRef: unknown): Record<string, unknown> => ({
    ...plain('KmsCustomKeyStores', 'Available', { CustomKeyStoreId: storeRef }, 'Minimum', 60),
    ...rule('LessThanThreshold', 1, 'notBreaching', 3),
  });

  test('an external key store: the Guide\'s alarms, the key manager states, the credential age and the connection', () => {
    const stack = newStack();
    const store = externalStore(stack);
    const alarms = store.addRecommendedAlarms();
    const props = alarmProperties(stack, alarms);
    expect(Object.fromEntries(Object.entries(props).map(([id, p]) => [id, withoutDescription(p)]))).toEqual({ ...externalExpected(ref(store)), NotConnected: connectionExpected(ref(store)), WatcherFailing: watcherExpected(stack), ConfigurationDrift: driftExpected(ref(store)) });
    expect(alarms.map((a) => a.node.path)).toEqual([
      'KeyStores/Xks/RecommendedAlarms/ProxyCertificateExpiry',
      'KeyStores/Xks/RecommendedAlarms/ProxyLatency',
      'KeyStores/Xks/RecommendedAlarms/ProxyRetryableErrors',
      'KeyStores/Xks/RecommendedAlarms/ProxyNonRetryableErrors',
      'KeyStores/Xks/RecommendedAlarms/KeyManagerDegraded',
      'KeyStores/Xks/RecommendedAlarms/KeyManagerUnavailable',
      'KeyStores/Xks/RecommendedAlarms/ProxyCredentialAge',
      'KeyStores/Xks/RecommendedAlarms/NotConnected',
      'KeyStores/Xks/RecommendedAlarms/WatcherFailing',
      'KeyStores/Xks/RecommendedAlarms/ConfigurationDrift',
    ]);
    // No action unless one is given; no warning from any alarm.
    for (const p of Object.values(props)) expect(p.AlarmActions).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('an external key store that syncs its credential: the sync alarm too, and the credential advice says so', () => {
    const stack = newStack();
    const store = externalStore(stack, 'Xks', { syncProxyCredential: true });
    const props = alarmProperties(stack, store.addRecommendedAlarms({ credentialMaxAge: Duration.days(30), notConnectedFor: Duration.minutes(10) }));
    expect(Object.fromEntries(Object.entries(props).map(([id, p]) => [id, withoutDescription(p)]))).toEqual({
      ...externalExpected(ref(store), 30),
      ProxyCredentialSyncFailed: syncExpected(ref(store)),
      NotConnected: connectionExpected(ref(store), 10),
      WatcherFailing: watcherExpected(stack),
      ConfigurationDrift: driftExpected(ref(store)),
    });
    expect(JSON.stringify(props.ProxyCredentialAge.AlarmDescription)).toContain("put it in the store's proxy credential secret");
  });

  test('a CloudHSM key store: HsmUnhealthy of its cluster (not of one HSM, whose id changes on replacement), the connection and its availability', () => {
    const stack = newStack();
    const store = hsmStore(stack);
    const props = alarmProperties(stack, store.addRecommendedAlarms({ credentialMaxAge: Duration.days(7) }));
    expect(Object.fromEntries(Object.entries(props).map(([id, p]) => [id, withoutDescription(p)]))).toEqual({
      HsmUnhealthy: { ...plain('AWS/CloudHSM', 'HsmUnhealthy', { ClusterId: 'cluster-2a23b4cdefg' }, 'Maximum', 300), ...rule('GreaterThanThreshold', 0, 'notBreaching') },
      NotConnected: connectionExpected(ref(store)),
      WatcherFailing: watcherExpected(stack),
      ConfigurationDrift: driftExpected(ref(store)),
      Unavailable: availableExpected(ref(store)),
    });
  });

  test('an external key store with a health probe key: the Unavailable alarm too; without one, none', () => {
    const stack = newStack();
    const probed = externalStore(stack, 'Probed');
    probed.useHealthProbeKey(probed.addKey('Probe', { xksKeyId: 'probe-key' }));
    const props = alarmProperties(stack, probed.addRecommendedAlarms());
    expect(withoutDescription(props.Unavailable)).toEqual(availableExpected(ref(probed)));
    expect(JSON.stringify(props.Unavailable.AlarmDescription)).toContain('ProbeError metric (by ExceptionName)');
    expect(externalStore(stack, 'Plain').addRecommendedAlarms().map((a) => a.node.id)).not.toContain('Unavailable');
  });

  test('a store declared connected: false has no connection alarm, and is not watched', () => {
    const stack = newStack();
    const xks = externalStore(stack, 'Xks', { connected: false });
    const hsm = hsmStore(stack, 'Hsm', { connected: false });
    expect(xks.addRecommendedAlarms().map((a) => a.node.id)).not.toContain('NotConnected');
    // A store not wanted connected is not watched, so it is not probed either.
    expect(hsm.addRecommendedAlarms().map((a) => a.node.id)).toEqual(['HsmUnhealthy']);
    expect(stack.node.tryFindChild('KmsCustomKeyStoreConnectionWatcher')).toBeUndefined();
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Connected' }, 0);
  });

  test('the connection alarm turns the watcher on for that store', () => {
    const stack = newStack();
    const store = externalStore(stack);
    store.addRecommendedAlarms();
    expect(watchedStores(stack)).toEqual({ 'Fn::Join': ['', ['["', ref(store), '"]']] });
  });

  test('alarmAction goes on every alarm', () => {
    const stack = newStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN);
    const stores = [externalStore(stack, 'Xks', { syncProxyCredential: true }), hsmStore(stack)];
    const alarms = stores.flatMap((store) => store.addRecommendedAlarms({ alarmAction: new actions.SnsAction(topic) }));
    expect(alarms).toHaveLength(11 + 5);
    const props = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties as Record<string, unknown>);
    expect(props).toHaveLength(11 + 5);
    for (const p of props) expect(p.AlarmActions).toEqual([TOPIC_ARN]);
  });

  test('each description says what is wrong and what to do, names the store, and fits CloudWatch\'s 1,024 characters', () => {
    const stack = newStack();
    const xks = externalStore(stack, 'Xks', { syncProxyCredential: true });
    const hsm = hsmStore(stack);
    const xksAlarms = xks.addRecommendedAlarms();
    const hsmAlarms = hsm.addRecommendedAlarms();
    const props = alarmProperties(stack, xksAlarms);
    const hsmProps = alarmProperties(stack, hsmAlarms);
    const text = (p: Record<string, unknown>): string => {
      const join = p.AlarmDescription as { 'Fn::Join': [string, unknown[]] };
      return join['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'cks-1234567890abcdef0')).join('');
    };
    for (const p of [...Object.values(props), ...Object.values(hsmProps)]) {
      expect(text(p).length).toBeLessThanOrEqual(1024);
    }
    expect(text(props.ProxyCertificateExpiry)).toBe(
      "The TLS certificate of the XKS proxy of external key store 'xks-store' (cks-1234567890abcdef0) expires in fewer than 10 days (AWS/KMS XksProxyCertificateDaysToExpire). " +
        'Renew it and install it on the proxy (or its load balancer): KMS cannot reach a proxy whose certificate has expired, and then no key of the store can be used. ' +
        "If this alarm stays INSUFFICIENT_DATA while the store is connected, KMS publishes no value for the certificate: it does not for one whose subject common name has a wildcard (such as *.example.com). This alarm cannot watch such a certificate: watch its expiry elsewhere (its CA, or ACM's DaysToExpiry).",
    );
    expect(text(props.ProxyLatency)).toMatch(/more than 200 ms on average over 5 minutes .*KMS gives up on a request after 250 ms/);
    expect(text(props.ProxyRetryableErrors)).toMatch(/^More than 5 retryable errors in one minute .*ErrorType Retryable/);
    expect(text(props.ProxyNonRetryableErrors)).toMatch(/^More than 5 non-retryable errors in one minute .*ErrorType Non-retryable/);
    expect(text(props.KeyManagerUnavailable)).toMatch(/is Unavailable .*when every instance is unavailable, no key of the store can be used/);
    expect(text(props.ProxyCredentialSyncFailed)).toMatch(/The store keeps the credential it had\. Read the log of the KmsCustomKeyStoreProxyCredentialSync function of stack KeyStores/);
    expect(text(props.NotConnected)).toMatch(/^The connection watcher has reported the external key store 'xks-store' \(cks-1234567890abcdef0\) not CONNECTED for 30 minutes/);
    expect(text(props.WatcherFailing)).toMatch(/failed every run for 10 minutes \(AWS\/Lambda Errors\): nothing reports whether the external key store 'xks-store'/);
    expect(text(hsmProps.Unavailable)).toMatch(/^KMS could not use the CloudHSM key store 'hsm-store' \(cks-1234567890abcdef0\) in 3 probes in a row although it is CONNECTED/);
    expect(text(hsmProps.HsmUnhealthy)).toMatch(/^An HSM of CloudHSM cluster cluster-2a23b4cdefg, which backs CloudHSM key store 'hsm-store' \(cks-1234567890abcdef0\), is unhealthy/);
    expect(text(hsmProps.NotConnected)).toMatch(/^The connection watcher has reported the CloudHSM key store 'hsm-store'/);
  });

  test('within CloudWatch\'s windows: at most one day of sub-hour periods, at most 3 hours for Metrics Insights', () => {
    const stack = newStack();
    const xks = externalStore(stack, 'Xks', { syncProxyCredential: true });
    const props = Object.values(alarmProperties(stack, xks.addRecommendedAlarms({ notConnectedFor: Duration.days(1) })));
    for (const p of props) {
      const metrics = p.Metrics as Array<{ Period: number }> | undefined;
      const period = metrics ? metrics[0].Period : (p.Period as number);
      const window = period * (p.EvaluationPeriods as number);
      if (period < 3600) expect(window).toBeLessThanOrEqual(86_400);
      if (metrics) expect(window).toBeLessThanOrEqual(3 * 3600);
    }
    expect(props.find((p) => p.MetricName === 'Connected')?.EvaluationPeriods).toBe(1440);
  });

  test('a second call is refused; the first call\'s alarms stay', () => {
    const stack = newStack();
    const store = externalStore(stack);
    store.addRecommendedAlarms();
    expect(() => store.addRecommendedAlarms()).toThrow(
      'addRecommendedAlarms: was already called for this store; expected one call per store (it returned the alarms; add further actions to those) (at KeyStores/Xks)',
    );
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });

  test.each<[string, RecommendedAlarmsOptions, string]>([
    ['credentialMaxAge: Duration.hours(36)', { credentialMaxAge: Duration.hours(36) }, 'credentialMaxAge 1 day 12 hours is out of range; expected whole days, at least 1 day (KMS publishes XksProxyCredentialAge in whole days)'],
    ['credentialMaxAge: Duration.hours(12)', { credentialMaxAge: Duration.hours(12) }, 'credentialMaxAge 12 hours is out of range; expected whole days, at least 1 day'],
    ['credentialMaxAge: a token', { credentialMaxAge: Duration.days(Lazy.number({ produce: () => 30 })) }, "credentialMaxAge is a token; expected a literal Duration, because the alarm's threshold and periods are fixed at synth time"],
    ['notConnectedFor: Duration.seconds(90)', { notConnectedFor: Duration.seconds(90) }, 'notConnectedFor 1 minute 30 seconds is out of range; expected whole minutes, from 1 minute to 1440 minutes (the alarm counts one-minute periods, and CloudWatch evaluates an alarm with periods under an hour over at most one day)'],
    ['notConnectedFor: Duration.minutes(0)', { notConnectedFor: Duration.minutes(0) }, 'notConnectedFor 0 minutes is out of range; expected whole minutes, from 1 minute to 1440 minutes'],
    ['notConnectedFor: Duration.minutes(1441)', { notConnectedFor: Duration.minutes(1441) }, 'notConnectedFor 1 day 1 minute is out of range; expected whole minutes, from 1 minute to 1440 minutes'],
    ['notConnectedFor: a token', { notConnectedFor: Duration.minutes(Lazy.number({ produce: () => 30 })) }, 'notConnectedFor is a token'],
  ])('%s is refused, naming the rule', (_case, options, message) => {
    const stack = newStack();
    const store = externalStore(stack);
    expect(() => store.addRecommendedAlarms(options)).toThrow(`addRecommendedAlarms: ${message}`);
    // A refused call adds nothing: the store can still get its alarms.
    expect(store.node.tryFindChild('RecommendedAlarms')).toBeUndefined();
    expect(store.addRecommendedAlarms()).toHaveLength(10);
  });
});

describe('a stack with every alarm', () => {
  const everyAlarm = (stack: Stack): void => {
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN);
    const alarmAction = new actions.SnsAction(topic);
    const stores = [
      hsmStore(stack),
      externalStore(stack, 'Xks', { syncProxyCredential: true }),
      new CustomKeyStore(stack, 'Private', { customKeyStoreName: 'xks-private', backend: vpcBackend(stack, { vpcEndpointServiceOwner: '444455556666' }), connected: false }),
    ];
    for (const store of stores) store.addRecommendedAlarms({ alarmAction });
  };

  test('cfn-lint: no errors, and no warning but CDK-generated DependsOn (W3005)', () => {
    const stack = newStack();
    everyAlarm(stack);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 5 + 11 + 7);
    const findings = cfnLint(stack);
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
    expect([...new Set(findings.map((f) => f.Rule.Id))].filter((id) => id !== 'W3005')).toEqual([]);
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding, environment-agnostic or not', () => {
    synthWithNag((app) => { everyAlarm(new Stack(app, 'Alarms', { env: { account: ACCOUNT, region: 'us-east-1' } })); });
    synthWithNag((app) => { everyAlarm(new Stack(app, 'AgnosticAlarms')); });
  });

  test('snapshot (asset hashes masked)', () => {
    const stack = newStack();
    everyAlarm(stack);
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});
