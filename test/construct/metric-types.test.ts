/**
 * The store's metric methods return aws-cdk-lib's concrete metric classes, so that `.createAlarm()`
 * and `.with()` work on them as on aws-cdk-lib's own metrics, for a declared and an imported store.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CustomKeyStore, CustomKeyStoreType, ICustomKeyStore, XksExternalKeyManagerState, XksProxyErrorType } from '../../lib';
import { cloudHsmBackend, newStack, publicBackend } from '../fixtures/stacks';

type Kind = 'external' | 'cloudHsm';

// The declared return types are the point: a method typed IMetric would not compile here.
const queries: Array<[string, Kind, (store: ICustomKeyStore) => cloudwatch.MathExpression]> = [
  ['metricXksProxyLatency', 'external', (s) => s.metricXksProxyLatency()],
  ['metricXksProxyErrors', 'external', (s) => s.metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE })],
  ['metricXksProxyCertificateDaysToExpire', 'external', (s) => s.metricXksProxyCertificateDaysToExpire()],
  ['metricExternalKeyStoreThrottle', 'external', (s) => s.metricExternalKeyStoreThrottle()],
  ['metricCloudHsmKeyStoreThrottle', 'cloudHsm', (s) => s.metricCloudHsmKeyStoreThrottle()],
];
const plainMetrics: Array<[string, Kind, (store: ICustomKeyStore) => cloudwatch.Metric]> = [
  ['metric', 'external', (s) => s.metric('XksProxyCredentialAge')],
  ['metricXksProxyCredentialAge', 'external', (s) => s.metricXksProxyCredentialAge()],
  ['metricXksExternalKeyManagerStates', 'external', (s) => s.metricXksExternalKeyManagerStates(XksExternalKeyManagerState.DEGRADED)],
];

function stores(kind: Kind): Array<[string, Stack, ICustomKeyStore]> {
  const declaredStack = newStack();
  const declared = new CustomKeyStore(declaredStack, 'Store', {
    customKeyStoreName: 'payments',
    backend: kind === 'external' ? publicBackend(declaredStack) : cloudHsmBackend(declaredStack),
  });
  const importedStack = newStack();
  const imported = CustomKeyStore.fromCustomKeyStoreAttributes(importedStack, 'Store', {
    customKeyStoreId: 'cks-1234567890abcdef0',
    customKeyStoreType: kind === 'external' ? CustomKeyStoreType.EXTERNAL_KEY_STORE : CustomKeyStoreType.AWS_CLOUDHSM,
  });
  return [['declared', declaredStack, declared], ['imported', importedStack, imported]];
}

describe.each(queries)('%s returns a cloudwatch.MathExpression', (_name, kind, make) => {
  test.each(stores(kind))('of a %s store: createAlarm() makes an alarm on the query; with() changes its period and keeps the query', (_how, stack, store) => {
    const metric = make(store);
    expect(metric).toBeInstanceOf(cloudwatch.MathExpression);
    const longer = metric.with({ period: Duration.minutes(15), label: 'fifteen' });
    expect(longer).toBeInstanceOf(cloudwatch.MathExpression);
    expect([longer.expression, longer.period.toMinutes(), longer.label]).toEqual([metric.expression, 15, 'fifteen']);
    metric.createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: { Metrics: Array<{ Expression?: unknown; Period?: number }> } }>;
    expect(alarms).toHaveLength(1);
    const query = alarms[0].Properties.Metrics[0];
    expect(JSON.stringify(stack.resolve(query.Expression))).toContain('SELECT ');
    expect(query.Period).toBe(300);
  });
});

describe.each(plainMetrics)('%s returns a cloudwatch.Metric', (_name, kind, make) => {
  test.each(stores(kind))('of a %s store: createAlarm() makes an alarm on it; with() changes its statistic and keeps the store\'s dimension', (_how, stack, store) => {
    const metric = make(store);
    expect(metric).toBeInstanceOf(cloudwatch.Metric);
    const minimum = metric.with({ statistic: cloudwatch.Stats.MINIMUM });
    expect(minimum).toBeInstanceOf(cloudwatch.Metric);
    expect([minimum.statistic, minimum.metricName, minimum.dimensions]).toEqual(['Minimum', metric.metricName, metric.dimensions]);
    metric.createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/KMS',
      MetricName: metric.metricName,
      Dimensions: Match.arrayWith([{ Name: 'CustomKeyStoreId', Value: stack.resolve(store.customKeyStoreId) as unknown }]),
    });
  });
});
