/**
 * The availability probe and the recommended alarms end to end: the watcher's bundle run by the
 * local runner on its schedule, with the real AWS SDK over HTTP against the local KMS and
 * CloudWatch, and the alarms of the synthesized template evaluated as CloudWatch would
 * (test/fixtures/alarm-evaluator.ts) on what the watcher published.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AVAILABLE_METRIC, CONFIGURATION_DRIFT_METRIC, CONNECTED_METRIC, OPERATIONS_NAMESPACE, PROBE_ERROR_METRIC, PROBE_LATENCY_METRIC } from '../../lib/private/contract/operations-metrics';
import { AlarmRule, statesFromCreation } from '../fixtures/alarm-evaluator';
import { CANARY_SECRET_KEY } from '../fixtures/events';
import { callsOf, removeAssemblies, SECRETS, STACK_NAME, synth, World, world } from './harness';

const CLUSTER = 'cluster-2a23b4cdefg';
let w: World | undefined;
afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

const values = (kms: World['kms'], name: string, storeId: string, extra: Record<string, string> = {}): number[] =>
  kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, name, { CustomKeyStoreId: storeId, ...extra }).map((d) => d.value);

test('a CONNECTED CloudHSM store whose cluster lost its HSMs publishes Available 0 within one run while Connected stays 1, and 1 again once it recovers', async () => {
  w = await world({ clusters: { [CLUSTER]: {} }, quotas: false });
  expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', alarms: true }]))).stackStatus).toBe('CREATE_COMPLETE');
  const [id] = w.stack.keyStoreIds();
  const since = w.kms.calls.length;
  await w.stack.runSchedules();
  expect(callsOf(w.kms, since, 'DescribeCustomKeyStores', 'GenerateRandom')).toEqual(['DescribeCustomKeyStores:ok', 'GenerateRandom:ok']);
  expect(values(w.kms, AVAILABLE_METRIC, id)).toEqual([1]);

  w.kms.model.clusters.set(CLUSTER, { hsmCount: 0 });
  await w.stack.runSchedules();
  expect(values(w.kms, CONNECTED_METRIC, id)).toEqual([1, 1]);
  expect(values(w.kms, AVAILABLE_METRIC, id)).toEqual([1, 0]);
  expect(values(w.kms, PROBE_ERROR_METRIC, id, { ExceptionName: 'KMSInternalException' })).toEqual([1]);
  expect(values(w.kms, PROBE_LATENCY_METRIC, id)).toHaveLength(2);
  expect(w.stack.functionLogs.join('\n')).toMatch(/"exceptionName":"KMSInternalException","meaning":"KMS could not use the CloudHSM cluster although the store is CONNECTED/);

  w.kms.model.clusters.set(CLUSTER, {});
  await w.stack.runSchedules();
  expect(values(w.kms, AVAILABLE_METRIC, id)).toEqual([1, 0, 1]);
  // Nothing secret in any log line or metric.
  const published = JSON.stringify(w.kms.cloudWatch.data) + w.stack.functionLogs.join('\n');
  for (const secret of [...Object.values(SECRETS), CANARY_SECRET_KEY]) expect(published).not.toContain(secret);
});

test('no alarm of a freshly deployed healthy store would fire: on creation, before the watcher\'s first run, nor over its first runs', async () => {
  w = await world({ clusters: { [CLUSTER]: {} }, quotas: false });
  const assembly = synth([
    { id: 'Hsm', name: 'hsm', kind: 'hsm', alarms: true },
    { id: 'Xks', name: 'xks', kind: 'xks', alarms: true, syncProxyCredential: true },
  ]);
  expect((await w.stack.deploy(assembly)).stackStatus).toBe('CREATE_COMPLETE');
  for (let run = 0; run < 3; run++) await w.stack.runSchedules();
  const template = JSON.parse(fs.readFileSync(path.join(assembly, `${STACK_NAME}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
  expect(alarms.length).toBeGreaterThanOrEqual(5 + 10);
  for (const [logicalId, { Properties: p }] of alarms) {
    // The metric each alarm reads, with its Refs resolved to what the runner deployed; a Metrics Insights query (AWS/KMS) and AWS/Lambda have no local data.
    const dims = Object.fromEntries(((p.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, typeof d.Value === 'object' ? w?.stack.physicalId((d.Value as { Ref: string }).Ref) ?? '' : (d.Value as string)]));
    const series = p.Namespace === OPERATIONS_NAMESPACE ? w.kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, p.MetricName as string, dims).map((d) => d.value) : [];
    if ([CONNECTED_METRIC, AVAILABLE_METRIC, CONFIGURATION_DRIFT_METRIC].includes(p.MetricName as string)) expect([logicalId, series.length > 0]).toEqual([logicalId, true]);
    const states = statesFromCreation(p as unknown as AlarmRule, series);
    expect([logicalId, states.includes('ALARM')]).toEqual([logicalId, false]);
  }
});
