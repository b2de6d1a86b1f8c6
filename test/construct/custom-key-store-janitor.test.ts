/** CustomKeyStoreJanitor and deferDeletion: the janitor's function, schedule, least-privilege role and alarms; the handler's share. */
import { Annotations as AnnotationsOfConstruct, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CustomKeyStore, CustomKeyStoreErrors, CustomKeyStoreJanitor } from '../../lib';
import { cfnLint, synthWithNag } from '../fixtures/checks';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, maskedTemplate, newStack } from '../fixtures/stacks';

function janitorStack(): Stack {
  const stack = newStack();
  new CustomKeyStoreJanitor(stack, 'Janitor').addRecommendedAlarms();
  return stack;
}

const policyOf = (stack: Stack, prefix: string): Array<Record<string, unknown>> => {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const id = Object.keys(policies).find((k) => k.startsWith(prefix)) ?? '';
  return (policies[id].Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument.Statement;
};
const arn = (rest: string): unknown => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('CustomKeyStoreJanitor', () => {
  test('runs hourly by default; its role may touch only stores of this account, the keys it must read and its own registry', () => {
    const stack = janitorStack();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    const sids = policyOf(stack, 'JanitorHandlerRoleDefaultPolicy').map((s) => [s.Sid, s.Action, s.Resource, s.Condition]);
    expect(sids).toEqual(
      expect.arrayContaining([
        ['FinishDeferredDeletions', ['kms:ConnectCustomKeyStore', 'kms:DisconnectCustomKeyStore', 'kms:DeleteCustomKeyStore'], '*', { StringEquals: { 'kms:CallerAccount': ACCOUNT } }],
        ['ReadRegistry', 'ssm:GetParametersByPath', arn(`:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/deferred-deletion`), undefined],
        ['KeepRegistry', ['ssm:PutParameter', 'ssm:DeleteParameter'], arn(`:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/deferred-deletion/stores/*`), undefined],
        ['WriteHeartbeat', 'ssm:PutParameter', arn(`:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/deferred-deletion/heartbeat`), undefined],
      ]),
    );
    expect(JSON.stringify(policyOf(stack, 'JanitorHandlerRoleDefaultPolicy'))).not.toMatch(/ScheduleKeyDeletion|CancelKeyDeletion|CreateKey/);
  });

  test('the schedule is 1 minute to 1 hour, in whole minutes', () => {
    expect(() => new CustomKeyStoreJanitor(newStack(), 'J', { schedule: Duration.minutes(15) })).not.toThrow();
    const error = (() => {
      try {
        new CustomKeyStoreJanitor(newStack(), 'J', { schedule: Duration.hours(2) });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(CustomKeyStoreErrors.codeOf(error)).toBe('CustomKeyStore.OutOfRange');
    expect((error as Error).message).toMatch(/^schedule: 2 hours is out of range; expected 1 minute to 1 hour, in whole minutes/);
  });

  test('recommended alarms: a stuck store, an overdue store, the janitor failing', () => {
    const stack = janitorStack();
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    expect(Object.values(alarms).map((a) => (a.Properties as { MetricName: string }).MetricName).sort()).toEqual(['DeferredDeletionStoresOverdue', 'DeferredDeletionStoresStuck', 'Errors']);
  });

  test('cdk-nag and cfn-lint clean', () => {
    expect(() => {
      synthWithNag((app) => {
        new CustomKeyStoreJanitor(new Stack(app, 'Ops', { env: { account: ACCOUNT, region: 'us-east-1' } }), 'Janitor').addRecommendedAlarms();
        const stores = new Stack(app, 'Stores', { env: { account: ACCOUNT, region: 'us-east-1' } });
        new CustomKeyStore(stores, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stores), deferDeletion: true }).addKey('K', { removalPolicy: RemovalPolicy.DESTROY });
      });
    }).not.toThrow();
    const findings = cfnLint(janitorStack());
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
  });

  test('snapshot (asset hashes masked)', () => {
    expect(maskedTemplate(janitorStack())).toMatchSnapshot();
  });
});

describe('deferDeletion', () => {
  test('becomes the DeferDeletion property, and the handler may read the heartbeat and write registry entries only', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), deferDeletion: true });
    Template.fromStack(stack).hasResourceProperties('Custom::KmsCustomKeyStore', { DeferDeletion: 'true' });
    const statements = policyOf(stack, 'KmsCustomKeyStoreProviderHandlerRoleDefaultPolicy').filter((s) => String(s.Sid).match(/Janitor/));
    expect(statements).toEqual([
      { Sid: 'ReadJanitorHeartbeat', Action: 'ssm:GetParameter', Effect: 'Allow', Resource: arn(`:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/deferred-deletion/heartbeat`) },
      { Sid: 'HandOverStoresToJanitor', Action: 'ssm:PutParameter', Effect: 'Allow', Resource: arn(`:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/deferred-deletion/stores/*`) },
    ]);
  });

  test('without it, nothing changes in the template', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/DeferDeletion|deferred-deletion/);
    Template.fromStack(stack).hasResourceProperties('Custom::KmsCustomKeyStore', { DeferDeletion: Match.absent() });
  });

  test('refused with a removal policy that keeps the store, naming both properties', () => {
    const stack = newStack();
    expect(() => new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), deferDeletion: true, removalPolicy: RemovalPolicy.RETAIN })).toThrow(
      /^deferDeletion: applies only to a store the stack deletes; expected removalPolicy DESTROY \(the default\), or no deferDeletion \(removalPolicy is retain\)/,
    );
  });
});

describe('synth warnings where a teardown cannot finish', () => {
  const warningsOf = (stack: Stack): string[] => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => w.entry.data as string);
  const build = (options: { keyPolicy?: RemovalPolicy; deferDeletion?: boolean; storePolicy?: RemovalPolicy; later?: RemovalPolicy }): Stack => {
    const stack = newStack();
    const store = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), deferDeletion: options.deferDeletion, removalPolicy: options.storePolicy });
    const key = store.addKey('K', options.keyPolicy ? { removalPolicy: options.keyPolicy } : {});
    if (options.later) key.applyRemovalPolicy(options.later);
    return stack;
  };

  test('a DESTROY store holding a key the stack keeps (the default, or RETAIN): retainKeyInDestroyStore, naming the key', () => {
    for (const stack of [build({}), build({ keyPolicy: RemovalPolicy.RETAIN }), build({ keyPolicy: RemovalPolicy.DESTROY, later: RemovalPolicy.RETAIN })]) {
      expect(warningsOf(stack)).toEqual([expect.stringMatching(/^The store is deleted with the stack \(removalPolicy DESTROY\), but the stack keeps KeyStores\/Hsm\/K .*\[ack: cdk-kms-custom-key-store:retainKeyInDestroyStore\]$/)]);
    }
  });

  test('DESTROY keys without deferred deletion: teardownWaitsForKeys; with it, or with a RETAIN store, no warning', () => {
    expect(warningsOf(build({ keyPolicy: RemovalPolicy.DESTROY }))).toEqual([expect.stringMatching(/^`cdk destroy` schedules the deletion of its key .*Set deferDeletion: true .*\[ack: cdk-kms-custom-key-store:teardownWaitsForKeys\]$/)]);
    expect(warningsOf(build({ keyPolicy: RemovalPolicy.DESTROY, deferDeletion: true }))).toEqual([]);
    expect(warningsOf(build({ keyPolicy: RemovalPolicy.RETAIN, storePolicy: RemovalPolicy.RETAIN }))).toEqual([]);
  });

  test('acknowledged, they are gone', () => {
    const stack = build({ keyPolicy: RemovalPolicy.DESTROY });
    stack.node.findAll().forEach((c) => { if (c.node.id === 'Hsm') AnnotationsOfConstruct.of(c).acknowledgeWarning('cdk-kms-custom-key-store:teardownWaitsForKeys', 'a test stack: its teardown may wait'); });
    expect(warningsOf(stack)).toEqual([]);
  });
});
