/**
 * What `monitorConnection` and `syncProxyCredential` add to a stack: one watcher and one sync per
 * stack whatever the number of stores, their schedules and event rules, and their exact permissions.
 */
import { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreErrors } from '../../lib';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, newStack, publicBackend, vpcBackend } from '../fixtures/stacks';

/** The statements of the one role policy whose logical id starts with `prefix`. */
function statements(template: Template, prefix: string): unknown[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(prefix));
  expect(policies).toHaveLength(1);
  return (policies[0][1].Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument.Statement;
}

/** Its own log group only. */
const logStatement = (logGroup: RegExp): unknown => ({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(logGroup), 'Arn'] } });
const describeStatement = { Sid: 'ReadCustomKeyStores', Action: 'kms:DescribeCustomKeyStores', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } };
const declarationsStatement = {
  Sid: 'ReadDeclaredConfiguration',
  Action: 'ssm:GetParametersByPath',
  Effect: 'Allow',
  Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/declared/KeyStores`]] },
};
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
    // Its own log group keeps a year; EventBridge may invoke it for the schedule only.
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const watcherLogs = Object.entries(logGroups).filter(([id]) => id.startsWith('KmsCustomKeyStoreConnectionWatcherHandlerLogs'));
    expect(watcherLogs.map(([, r]) => (r.Properties as { RetentionInDays: number }).RetentionInDays)).toEqual([365]);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((r) => r.Properties as { Principal: string; SourceArn: { 'Fn::GetAtt': [string, string] } });
    expect(permissions.map((p) => [p.Principal, p.SourceArn['Fn::GetAtt'][0]])).toEqual([['events.amazonaws.com', expect.stringMatching(/^KmsCustomKeyStoreConnectionWatcherSchedule[0-9A-F]{8}$/)]]);
    // A CloudHSM key store is watched: GenerateRandom for its probe, which has no resource-level permission.
    const probeStatement = { Sid: 'ProbeCloudHsmKeyStores', Effect: 'Allow', Action: 'kms:GenerateRandom', Resource: '*' };
    expect(statements(template, 'KmsCustomKeyStoreConnectionWatcher')).toEqual([logStatement(/^KmsCustomKeyStoreConnectionWatcherHandlerLogs/), describeStatement, metricsStatement, probeStatement, declarationsStatement]);
  });

  test('configuration drift: each watched store and each key declared in it get a String parameter under the stack\'s path, their values resolved by CloudFormation; the watcher gets the path and may read only that path, and DescribeKey on those keys only', () => {
    const stack = newStack();
    const hsm = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });
    const early = hsm.addKey('Early', { description: 'orders' });
    const vpc = new CustomKeyStore(stack, 'Vpc', { customKeyStoreName: 'vpc', backend: vpcBackend(stack), monitorConnection: true });
    const unwatched = new CustomKeyStore(stack, 'Plain', { customKeyStoreName: 'plain', backend: publicBackend(stack) });
    // A synced store's credential follows its secret's rotations, not the deployment: its access key id is not declared.
    const synced = new CustomKeyStore(stack, 'Synced', { customKeyStoreName: 'synced', backend: publicBackend(stack, { proxyUriEndpoint: 'https://synced.example.com' }), syncProxyCredential: true, monitorConnection: true });
    unwatched.addKey('Unwatched', { xksKeyId: 'k0' });
    // Keys declared before and after the store is watched are both declared.
    hsm.monitorConnection();
    const late = hsm.addKey('Late', { enabled: false });
    const template = Template.fromStack(stack);
    const parameters = Object.values(template.findResources('AWS::SSM::Parameter')).map((r) => r.Properties as { Name: string; Type: string; Tier: string; Value: unknown });
    const declared = parameters.filter((p) => (p.Name as string | undefined)?.startsWith('/cdk-kms-custom-key-store/declared/KeyStores/'));
    expect(declared.map((p) => p.Name.replace(/[0-9a-f]{42}$/, '<addr>')).sort()).toEqual([
      '/cdk-kms-custom-key-store/declared/KeyStores/key-<addr>',
      '/cdk-kms-custom-key-store/declared/KeyStores/key-<addr>',
      '/cdk-kms-custom-key-store/declared/KeyStores/store-<addr>',
      '/cdk-kms-custom-key-store/declared/KeyStores/store-<addr>',
      '/cdk-kms-custom-key-store/declared/KeyStores/store-<addr>',
    ]);
    for (const p of declared) expect([p.Type, p.Tier]).toEqual(['String', 'Intelligent-Tiering']);
    // The values as CloudFormation will resolve them, each Ref shown as <logical id> (and no secret ARN).
    const value = (owner: { node: { addr: string } }, kind: string): unknown => {
      const joined = declared.find((p) => p.Name.endsWith(`${kind}-${owner.node.addr}`))?.Value as { 'Fn::Join': [string, unknown[]] };
      return JSON.parse(joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('')) as unknown;
    };
    const id = (construct: Construct): string => `<${stack.getLogicalId(construct.node.defaultChild as CfnElement)}>`;
    expect(value(hsm, 'store')).toEqual({ kind: 'store', storeId: id(hsm), name: 'hsm', type: 'AWS_CLOUDHSM', clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: expect.stringContaining('BEGIN CERTIFICATE') as unknown });
    expect(value(vpc, 'store')).toEqual({
      kind: 'store', storeId: id(vpc), name: 'vpc', type: 'EXTERNAL_KEY_STORE', uriEndpoint: expect.stringMatching(/^https:/) as unknown, uriPath: expect.stringMatching(/kms\/xks\/v1$/) as unknown,
      connectivity: 'VPC_ENDPOINT_SERVICE', vpcEndpointServiceName: expect.stringMatching(/^com\.amazonaws\.vpce\./) as unknown, vpcEndpointServiceOwner: ACCOUNT,
      // The access key id only: a dynamic reference that CloudFormation resolves in the parameter.
      proxyAccessKeyId: expect.stringMatching(/^\{\{resolve:secretsmanager:.+:SecretString:accessKeyId::\}\}$/) as unknown,
    });
    expect(value(synced, 'store')).not.toHaveProperty('proxyAccessKeyId');
    expect(value(early, 'key')).toEqual({ kind: 'key', storeId: id(hsm), keyId: id(early), enabled: 'true', description: 'orders' });
    expect(value(late, 'key')).toEqual({ kind: 'key', storeId: id(hsm), keyId: id(late), enabled: 'false' });
    expect(JSON.stringify(declared)).not.toMatch(/secretAccessKey|password/i);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DECLARED_CONFIGURATION_PATH: '/cdk-kms-custom-key-store/declared/KeyStores' }) } });
    const watcher = statements(template, 'KmsCustomKeyStoreConnectionWatcher');
    expect(watcher).toContainEqual(declarationsStatement);
    const describeKeys = watcher.filter((st) => JSON.stringify(st).includes('kms:DescribeKey'));
    expect(describeKeys).toEqual([
      { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: stack.resolve(early.keyArn) as unknown },
      { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: stack.resolve(late.keyArn) as unknown },
    ]);
  });

  test('the availability probe: no kms:GenerateRandom without a CloudHSM key store; an external store\'s probe key gets kms:Encrypt for the watcher on that key only, and its ARN in the environment', () => {
    const stack = newStack();
    const xks = new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'xks', backend: publicBackend(stack), monitorConnection: true });
    const probeKey = xks.addKey('Probe', { xksKeyId: 'probe-key' });
    xks.useHealthProbeKey(probeKey);
    const template = Template.fromStack(stack);
    const watcherStatements = JSON.stringify(statements(template, 'KmsCustomKeyStoreConnectionWatcher'));
    expect(watcherStatements).not.toContain('kms:GenerateRandom');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"kms:Encrypt"[^\]]*"Resource":"\*"/);
    const keyArn = stack.resolve(probeKey.keyArn) as unknown;
    const encryptGrants = JSON.stringify(template.toJSON()).match(/kms:Encrypt/g) ?? [];
    expect(encryptGrants).toHaveLength(1);
    expect(watcherStatements).toContain(JSON.stringify({ Action: 'kms:Encrypt', Effect: 'Allow', Resource: keyArn }));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HEALTH_PROBE_KEYS: { 'Fn::Join': ['', ['{"', { Ref: Match.stringLikeRegexp('^Xks') }, '":"', keyArn, '"}']] } }) },
    });
    expect(() => { new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) }).useHealthProbeKey(probeKey); }).toThrow(/useHealthProbeKey: the store is a CloudHSM key store, which the connection watcher probes with GenerateRandom/);
    const late = new CustomKeyStore(stack, 'Late', { customKeyStoreName: 'late', backend: publicBackend(stack, { proxyUriEndpoint: 'https://late.example.com' }) });
    late.addRecommendedAlarms();
    expect(() => { late.useHealthProbeKey(late.addKey('LateProbe', { xksKeyId: 'late-probe' })); }).toThrow(/addRecommendedAlarms\(\) was already called for this store, without its Unavailable alarm/);
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
    const syncLogs = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('KmsCustomKeyStoreProxyCredentialSyncHandlerLogs'));
    expect(syncLogs.map(([, r]) => (r.Properties as { RetentionInDays: number }).RetentionInDays)).toEqual([365]);
    const patterns = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.anyValue() } })).map((r) => (r.Properties as { EventPattern: unknown }).EventPattern);
    expect(patterns).toEqual([
      { source: ['aws.secretsmanager'], 'detail-type': ['Secret Label Updated'], detail: { labelUpdated: ['AWSCURRENT'] }, resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:xks-AbCdEf`] },
      { source: ['aws.secretsmanager'], 'detail-type': ['Secret Label Updated'], detail: { labelUpdated: ['AWSCURRENT'], name: ['xks/by-name'] } },
    ]);
    const env = (template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }) as Record<string, { Properties: { Environment: { Variables: Record<string, unknown> } } }>);
    expect(JSON.stringify(Object.values(env)[0].Properties.Environment.Variables.PROXY_CREDENTIAL_SYNC_TARGETS)).toMatch(/storeId.*secretArn.*secret:xks-AbCdEf.*storeId.*xks\/by-name.*storeId.*secret:xks-AbCdEf/);
    const useParameter = (store: string): unknown => ({
      Action: ['ssm:GetParameter', 'ssm:PutParameter'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:${ACCOUNT}:parameter/`, { Ref: expect.stringMatching(new RegExp(`^${store}ProxyCredentialSyncState`)) as unknown }]] },
    });
    const readSecret = (resource: unknown): unknown => ({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: resource });
    expect(statements(template, 'KmsCustomKeyStoreProxyCredentialSync')).toEqual([
      logStatement(/^KmsCustomKeyStoreProxyCredentialSyncHandlerLogs/),
      describeStatement,
      metricsStatement,
      { Sid: 'UpdateProxyCredentials', Action: 'kms:UpdateCustomKeyStore', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } },
      useParameter('A'),
      readSecret(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:xks-AbCdEf`),
      useParameter('B'),
      readSecret({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:us-east-1:${ACCOUNT}:secret:xks/by-name-??????`]] }),
      useParameter('C'),
    ]);
    // EventBridge may invoke the function for each rule, and only for those rules.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((r) => r.Properties as { Principal: string; SourceArn: { 'Fn::GetAtt': [string, string] } });
    expect(permissions.map((p) => [p.Principal, p.SourceArn['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')]).sort()).toEqual([
      ['events.amazonaws.com', 'KmsCustomKeyStoreProxyCredentialSyncSchedule'],
      ['events.amazonaws.com', expect.stringMatching(/^KmsCustomKeyStoreProxyCredentialSyncSecretRotated[0-9a-f]{8}$/)],
      ['events.amazonaws.com', expect.stringMatching(/^KmsCustomKeyStoreProxyCredentialSyncSecretRotated[0-9a-f]{8}$/)],
    ]);
  });

  test('each synced store gets a parameter for the version KMS has, which only the sync may read and write', () => {
    const stack = newStack();
    new CustomKeyStore(stack, 'A', { customKeyStoreName: 'a', backend: publicBackend(stack), syncProxyCredential: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SSM::Parameter', 1);
    template.hasResourceProperties('AWS::SSM::Parameter', { Type: 'String', Value: 'none' });
    const parameterId = Object.keys(template.findResources('AWS::SSM::Parameter'))[0];
    expect(parameterId).toMatch(/^AProxyCredentialSyncState/);
    const onParameter = statements(template, 'KmsCustomKeyStoreProxyCredentialSync').filter((st) => JSON.stringify(st).includes(parameterId));
    expect(onParameter.map((st) => (st as { Action: string | string[] }).Action)).toEqual([['ssm:GetParameter', 'ssm:PutParameter']]);
    expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).toMatch(new RegExp(`stateParameter.*${parameterId}`));
  });

  test('a secret encrypted with a customer managed key: the sync may decrypt it through Secrets Manager only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'SecretKey');
    const secret = new secretsmanager.Secret(stack, 'Encrypted', { encryptionKey: key, generateSecretString: { secretStringTemplate: '{"accessKeyId":"AKIDEXAMPLEEXAMPLE2345"}', generateStringKey: 'secretAccessKey', passwordLength: 43, excludePunctuation: true } });
    new CustomKeyStore(stack, 'A', { customKeyStoreName: 'a', backend: publicBackend(stack, { proxyCredential: secret }), syncProxyCredential: true });
    const keyPolicy = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0].Properties as { KeyPolicy: { Statement: Array<Record<string, unknown>> } };
    const forSync = keyPolicy.KeyPolicy.Statement.filter((st) => JSON.stringify(st.Principal).includes('KmsCustomKeyStoreProxyCredentialSyncHandlerRole'));
    expect(forSync).toEqual([
      expect.objectContaining({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } } }),
    ]);
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
