/**
 * The recommended alarms evaluated as CloudWatch would (test/fixtures/alarm-evaluator.ts), from
 * their creation on: no alarm of a freshly deployed healthy store fires, before or after the
 * watcher's first run, and each still fires on what it is for.
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CustomKeyStore } from '../../lib';
import { AlarmRule, evaluateAlarm, statesFromCreation } from '../fixtures/alarm-evaluator';
import { cloudHsmBackend, newStack, publicBackend } from '../fixtures/stacks';

function rules(stack: Stack, alarms: cloudwatch.Alarm[]): Record<string, AlarmRule> {
  const resources = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  return Object.fromEntries(alarms.map((a) => [a.node.id, resources[stack.getLogicalId(a.node.defaultChild as CfnElement)].Properties as AlarmRule]));
}

/** What a healthy store's metrics show each period: the value, or undefined where nothing is published. */
const HEALTHY: Readonly<Record<string, number | undefined>> = {
  NotConnected: 1, // Connected
  Unavailable: 1, // Available
  WatcherFailing: 0, // AWS/Lambda Errors
  ConfigurationDrift: 0,
  HsmUnhealthy: undefined, // published only for an unhealthy HSM
  ProxyCertificateExpiry: 300,
  ProxyLatency: 40,
  ProxyRetryableErrors: undefined,
  ProxyNonRetryableErrors: undefined,
  KeyManagerDegraded: undefined,
  KeyManagerUnavailable: undefined,
  ProxyCredentialAge: 3,
};

/** A value that each alarm is there to catch. */
const BAD: Readonly<Record<string, number>> = {
  NotConnected: 0,
  Unavailable: 0,
  WatcherFailing: 5,
  ConfigurationDrift: 1,
  HsmUnhealthy: 1,
  ProxyCertificateExpiry: 5,
  ProxyLatency: 240,
  ProxyRetryableErrors: 20,
  ProxyNonRetryableErrors: 20,
  KeyManagerDegraded: 1,
  KeyManagerUnavailable: 1,
  ProxyCredentialAge: 120,
};

function everyAlarm(): Record<string, AlarmRule> {
  const stack = newStack();
  const hsm = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });
  const xks = new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'xks', backend: publicBackend(stack) });
  xks.useHealthProbeKey(xks.addKey('Probe', { xksKeyId: 'probe-key' }));
  const alarms = [...hsm.addRecommendedAlarms(), ...xks.addRecommendedAlarms()];
  return { ...rules(stack, alarms.slice(0, 5)), ...rules(stack, alarms.slice(5)) };
}

describe('every recommended alarm, from its creation', () => {
  const all = everyAlarm();

  test('covers every alarm the library makes', () => {
    expect(Object.keys(all).sort()).toEqual(Object.keys(HEALTHY).sort());
  });

  test.each(Object.keys(HEALTHY))('%s: not ALARM on creation (no data: the watcher has not run), nor as a healthy store\'s first datapoints arrive', (id) => {
    const rule = all[id];
    const periods = rule.EvaluationPeriods + 2;
    const states = statesFromCreation(rule, Array.from({ length: periods }, () => HEALTHY[id]));
    expect(states).not.toContain('ALARM');
  });

  test.each(Object.keys(BAD))('%s: fires once what it watches has been bad for its evaluation periods, not before', (id) => {
    const rule = all[id];
    const bad = Array.from({ length: rule.DatapointsToAlarm ?? rule.EvaluationPeriods }, () => BAD[id]);
    const healthyFirst = [HEALTHY[id], HEALTHY[id]];
    expect(evaluateAlarm(rule, [...healthyFirst, ...bad])).toBe('ALARM');
    expect(evaluateAlarm(rule, [...healthyFirst, ...bad.slice(1)])).not.toBe('ALARM');
  });
});

test("ConfigurationDrift: a deployment's own change (drift for a run or two around the store's offline update, nothing published while it is CONNECTING) does not fire it; a console change that stays does", () => {
  const rule = everyAlarm().ConfigurationDrift;
  expect(statesFromCreation(rule, [0, 1, undefined, undefined, undefined, 1, 0, 0])).not.toContain('ALARM');
  expect(statesFromCreation(rule, [0, 1, 1, 1, 1, 1])).toContain('ALARM');
});

describe('the evaluator itself', () => {
  test('a connection alarm with missing data breaching, as the library made it before, fires on creation: the page on every fresh deploy', () => {
    const before: AlarmRule = { ComparisonOperator: 'LessThanThreshold', Threshold: 1, EvaluationPeriods: 30, DatapointsToAlarm: 30, TreatMissingData: 'breaching' };
    expect(statesFromCreation(before, [1])).toEqual(['ALARM', 'OK']);
  });

  test('missing keeps INSUFFICIENT_DATA, ignore keeps the state, M of N counts breaches', () => {
    const rule: AlarmRule = { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'missing' };
    expect(evaluateAlarm(rule, [])).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm({ ...rule, TreatMissingData: 'ignore' }, [undefined], 'ALARM')).toBe('ALARM');
    expect(evaluateAlarm(rule, [1, 0, 1])).toBe('ALARM');
    expect(evaluateAlarm(rule, [1, 0, 0])).toBe('OK');
    expect(evaluateAlarm(rule, [undefined, undefined, 1])).toBe('ALARM');
  });
});
