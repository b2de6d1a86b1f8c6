/**
 * What `monitorConnection` and `syncProxyCredential` add to a stack: one watcher and one sync per
 * stack whatever the number of stores, their schedules and event rules, and their exact permissions.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreErrors } from '../lib';
import { ACCOUNT } from './fixtures/events';
import { cloudHsmBackend, newStack, publicBackend, vpcBackend } from './fixtures/stacks';

/** The statements of the one role policy whose logical id starts with `prefix`. */
function statements(template: Template, prefix: string): unknown[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(prefix));
  expect(policies).toHaveLength(1);
  return (policies[0][1].Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument.Statement;
}

/** Its own log group only. */
const logStatement = (logGroup: RegExp): unknown => ({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(logGroup), 'Arn'] } });
const describeStatement = { Sid: 'ReadCustomKeyStores', Action: 'kms:DescribeCustomKeyStores', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } };
const metricsStatement = { Sid: 'PublishOwnMetrics', Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'KmsCustomKeyStores' } } };

describe('connection watcher', () => {
  test('nothing is added unless asked for', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.includes('Watcher'))).toEqual([]);
  });

  test('one function for every watched store of the stack, run every minute, with the ids in its environment', () => {
    const stack = newStack();
    const hsm = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), monitorConnection: true });
    new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'xks', backend: publicBackend(stack), monitorConnection: true });
    const vpc = new CustomKeyStore(stack, 'Vpc', { customKeyStoreName: 'vpc', backend: vpcBackend(stack) });
    vpc.monitorConnection();
    vpc.monitorConnection(); // idempotent
    hsm.monitorConnection();
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      Environment: {
        Variables: {
          WATCHED_CUSTOM_KEY_STORE_IDS: { 'Fn::Join': ['', ['["', { Ref: Match.stringLikeRegexp('^Hsm') }, '","', { Ref: Match.stringLikeRegexp('^Xks') }, '","', { Ref: Match.stringLikeRegexp('^Vpc') }, '"]']] },
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })] });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    expect(statements(template, 'KmsCustomKeyStoreConnectionWatcher')).toEqual([logStatement(/^KmsCustomKeyStoreConnectionWatcherHandlerLogs/), describeStatement, metricsStatement]);
  });
});

describe('proxy credential sync', () => {
  test('one function, a 5-minute schedule, and a Secret Label Updated rule per secret: by full ARN, or by name for a secret imported by name', () => {
    const stack = newStack();
    const byName = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'xks/by-name');
    new CustomKeyStore(stack, 'A', { customKeyStoreName: 'a', backend: publicBackend(stack), syncProxyCredential: true });
    new CustomKeyStore(stack, 'B', { customKeyStoreName: 'b', backend: vpcBackend(stack, { proxyCredential: byName }), syncProxyCredential: true });
    new CustomKeyStore(stack, 'C', { customKeyStoreName: 'c', backend: publicBackend(stack, { proxyUriEndpoint: 'https://c.example.com' }), syncProxyCredential: true });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    const patterns = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.anyValue() } })).map((r) => (r.Properties as { EventPattern: unknown }).EventPattern);
    expect(patterns).toEqual([
      { source: ['aws.secretsmanager'], 'detail-type': ['Secret Label Updated'], detail: { labelUpdated: ['AWSCURRENT'] }, resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:xks-AbCdEf`] },
      { source: ['aws.secretsmanager'], 'detail-type': ['Secret Label Updated'], detail: { labelUpdated: ['AWSCURRENT'], name: ['xks/by-name'] } },
    ]);
    const env = (template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }) as Record<string, { Properties: { Environment: { Variables: Record<string, unknown> } } }>);
    expect(JSON.stringify(Object.values(env)[0].Properties.Environment.Variables.PROXY_CREDENTIAL_SYNC_TARGETS)).toMatch(/storeId.*secretArn.*secret:xks-AbCdEf.*storeId.*xks\/by-name.*storeId.*secret:xks-AbCdEf/);
    const syncStatements = statements(template, 'KmsCustomKeyStoreProxyCredentialSync');
    expect(syncStatements).toEqual([
      logStatement(/^KmsCustomKeyStoreProxyCredentialSyncHandlerLogs/),
      describeStatement,
      metricsStatement,
      { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:xks-AbCdEf` },
      { Sid: 'UpdateProxyCredentials', Action: 'kms:UpdateCustomKeyStore', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } },
      { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:us-east-1:${ACCOUNT}:secret:xks/by-name-??????`]] } },
    ]);
    // Nothing about the secrets' values: only ARNs and a name.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/SecretString|secretAccessKey/i);
  });

  test('a CloudHSM store cannot sync: synth says why', () => {
    const stack = newStack();
    let error: unknown;
    try {
      new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), syncProxyCredential: true });
    } catch (err) {
      error = err;
    }
    expect(CustomKeyStoreErrors.isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/syncProxyCredential: applies to external key stores only; .* KMS rotates its kmsuser password itself on every connect/);
  });
});
