import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CustomKeyStore } from '../../lib';
import { cloudHsmBackend, everyBackendStack, maskedTemplate, newStack, publicBackend } from '../fixtures/stacks';

describe('CustomKeyStore', () => {
  test('declares a Custom::KmsCustomKeyStore with string properties and secret ARNs only', () => {
    const stack = newStack();
    const store = new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::KmsCustomKeyStore', {
      CustomKeyStoreName: 'payments-hsm',
      CustomKeyStoreType: 'AWS_CLOUDHSM',
      CloudHsmClusterId: 'cluster-2a23b4cdefg',
      KeyStorePasswordSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:kmsuser-AbCdEf',
      Connected: 'true',
      WaitTimeoutSeconds: '2700',
    });
    const [props] = Object.values(template.findResources('Custom::KmsCustomKeyStore')).map((r) => r.Properties as Record<string, unknown>);
    expect(Object.keys(props).filter((k) => /password|credential|secret/i.test(k))).toEqual(['KeyStorePasswordSecretArn']);
    const logicalId = Object.keys(template.findResources('Custom::KmsCustomKeyStore'))[0];
    expect(stack.resolve(store.customKeyStoreId)).toEqual({ Ref: logicalId });
    expect(stack.resolve(store.connectionState)).toEqual({ 'Fn::GetAtt': [logicalId, 'ConnectionState'] });
    expect(store.customKeyStoreType).toBe('AWS_CLOUDHSM');
  });

  test('ten stores in a stack share one provider and add one custom resource each', () => {
    const stack = newStack();
    for (let i = 0; i < 10; i++) {
      new CustomKeyStore(stack, `Store${i}`, { customKeyStoreName: `store-${i}`, backend: i % 2 ? cloudHsmBackend(stack) : publicBackend(stack) });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::KmsCustomKeyStore', 10);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Lambda::Function', 5);
  });

  test('removal policy: DESTROY by default, RETAIN on request, SNAPSHOT refused', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Destroyed', { customKeyStoreName: 'a', backend: publicBackend(stack) });
    new CustomKeyStore(stack, 'Kept', { customKeyStoreName: 'b', backend: publicBackend(stack), removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('Custom::KmsCustomKeyStore', { Properties: Match.objectLike({ CustomKeyStoreName: 'a' }), DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    template.hasResource('Custom::KmsCustomKeyStore', { Properties: Match.objectLike({ CustomKeyStoreName: 'b' }), DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(() => new CustomKeyStore(stack, 'Snap', { customKeyStoreName: 'c', backend: publicBackend(stack), removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      'removalPolicy: SNAPSHOT is not supported by custom key stores; expected DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE',
    );
  });

  test('connected and waitTimeout reach the resource as strings', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack), connected: false, waitTimeout: Duration.minutes(20) });
    Template.fromStack(stack).hasResourceProperties('Custom::KmsCustomKeyStore', { Connected: 'false', WaitTimeoutSeconds: '1200' });
  });

  test('fromCustomKeyStoreId imports a store by id without declaring one', () => {
    const stack = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    expect(imported.customKeyStoreId).toBe('cks-1234567890abcdef0');
    expect(() => CustomKeyStore.fromCustomKeyStoreId(stack, 'Bad', 'arn:aws:kms:store')).toThrow(/customKeyStoreId: 'arn:aws:kms:store' is not a custom key store id/);
    expect(stack.node.tryFindChild('KmsCustomKeyStoreProvider')).toBeUndefined();
  });

  test('the handler functions run Node.js 24 with a log group that has a retention period, outside any VPC', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack) });
    const template = Template.fromStack(stack);
    const handlers = template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^index\\.(onEvent|isComplete)$') } });
    expect(Object.keys(handlers)).toHaveLength(2);
    for (const fn of Object.values(handlers) as Array<{ Properties: { Runtime: string; VpcConfig?: unknown; LoggingConfig: { LogGroup?: unknown } } }>) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.VpcConfig).toBeUndefined();
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('the waiter logs its state transitions, never the execution data (the CloudFormation events)', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  test('snapshot of a stack with every backend (asset hashes masked)', () => {
    expect(maskedTemplate(everyBackendStack())).toMatchSnapshot();
  });
});
