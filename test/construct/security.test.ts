/**
 * The checks a security reviewer makes: cdk-nag's AwsSolutions pack, cfn-lint, and the handler's
 * exact permissions.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ExampleKeyStoresStack } from '../../bin/app';
import { cfnLint, synthWithNag } from '../fixtures/checks';
import { CustomKeyStore } from '../../lib';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, everyBackendStack, publicBackend, vpcBackend } from '../fixtures/stacks';

describe('cdk-nag AwsSolutions', () => {
  const nagged = synthWithNag;

  test('the check is live: an unacknowledged finding fails synth', () => {
    expect(() => { nagged((app) => {
        const stack = new Stack(app, 'Control');
        new secretsmanager.Secret(stack, 'NotRotated');
      }); },
    ).toThrow(/AwsSolutions-SMG4/);
  });

  test('the example app has no unacknowledged finding', () => {
    nagged((app) => new ExampleKeyStoresStack(app, 'Example', { env: { account: ACCOUNT, region: 'us-east-1' } }));
  });

  test('a stack with every backend, environment-agnostic, has no unacknowledged finding', () => {
    nagged((app) => {
      const stack = new Stack(app, 'Agnostic');
      new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });
      new CustomKeyStore(stack, 'Public', { customKeyStoreName: 'xks', backend: publicBackend(stack) });
      new CustomKeyStore(stack, 'Private', { customKeyStoreName: 'xks-private', backend: vpcBackend(stack, { vpcEndpointServiceOwner: '444455556666' }) });
    });
  });

  test('each acknowledgement sits on one policy or state machine of the provider, with a reason', () => {
    const stack = everyBackendStack();
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as unknown })));
    const paths = [...new Set(acknowledged.map((a) => a.path.replace(/^KeyStores\/KmsCustomKeyStoreProvider\//, '')))].sort();
    expect(paths).toEqual([
      'FrameworkCompleteAndTimeoutRole/DefaultPolicy',
      'FrameworkOnEventRole/DefaultPolicy',
      'HandlerRole/DefaultPolicy',
      'Provider/waiter-state-machine',
      'Provider/waiter-state-machine/Role/DefaultPolicy',
    ]);
    expect(JSON.stringify(acknowledged)).not.toMatch(/"reason":""/);
  });
});

describe('cfn-lint', () => {
  test.each([
    ['the example app', (): Stack => new ExampleKeyStoresStack(new App(), 'KmsCustomKeyStoresExample', { env: { account: ACCOUNT, region: 'us-east-1' } })],
    ['a stack with every backend', everyBackendStack],
    ['an environment-agnostic stack with ten stores', (): Stack => {
      const stack = new Stack(new App(), 'Ten');
      for (let i = 0; i < 10; i++) {
        new CustomKeyStore(stack, `Store${i}`, { customKeyStoreName: `store-${i}`, backend: i % 2 ? cloudHsmBackend(stack) : vpcBackend(stack, { vpcEndpointServiceOwner: '444455556666' }), connected: i < 5 });
      }
      return stack;
    }],
  ])('%s: no errors, and no warning but CDK-generated DependsOn (W3005)', (_name, build) => {
    const findings = cfnLint(build());
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
    expect([...new Set(findings.map((f) => f.Rule.Id))].filter((id) => id !== 'W3005')).toEqual([]);
  });
});

describe('the handler role has exactly the permissions it needs', () => {
  const handlerStatements = (stack: Stack): unknown[] => {
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const id = Object.keys(policies).find((k) => k.startsWith('KmsCustomKeyStoreProviderHandlerRoleDefaultPolicy'));
    return (policies[id ?? ''].Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument.Statement;
  };
  const partitionArn = (rest: string): unknown => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
  const base = [
    { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': ['KmsCustomKeyStoreProviderHandlerLogs7FD09C80', 'Arn'] } },
    {
      Sid: 'ManageCustomKeyStores',
      Action: ['kms:ConnectCustomKeyStore', 'kms:CreateCustomKeyStore', 'kms:DeleteCustomKeyStore', 'kms:DescribeCustomKeyStores', 'kms:DisconnectCustomKeyStore', 'kms:UpdateCustomKeyStore'],
      Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } },
      Effect: 'Allow',
      Resource: '*',
    },
    { Sid: 'ListKeysForDeleteCheck', Action: 'kms:ListKeys', Effect: 'Allow', Resource: '*' },
    { Sid: 'DescribeKeysForDeleteCheck', Action: 'kms:DescribeKey', Effect: 'Allow', Resource: partitionArn(`:kms:us-east-1:${ACCOUNT}:key/*`) },
    // Granted with the provider: a stack's last key is deleted after the policy became one that declares no key.
    {
      Sid: 'DeleteKeysInCustomKeyStores',
      Action: 'kms:ScheduleKeyDeletion',
      Condition: { StringEquals: { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] } },
      Effect: 'Allow',
      Resource: partitionArn(`:kms:us-east-1:${ACCOUNT}:key/*`),
    },
    { Sid: 'ReadOwnStackStatus', Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
  ];
  const readSecret = (name: string): unknown => ({
    Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    Effect: 'Allow',
    Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}-AbCdEf`,
  });

  test('external key stores in this account: no CloudHSM or EC2 permission', () => {
    const stack = new Stack(new App(), 'KeyStores', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new CustomKeyStore(stack, 'Public', { customKeyStoreName: 'xks', backend: publicBackend(stack) });
    new CustomKeyStore(stack, 'Private', { customKeyStoreName: 'xks-private', backend: vpcBackend(stack, { vpcEndpointServiceOwner: ACCOUNT }) });
    expect(handlerStatements(stack)).toEqual([...base, readSecret('xks'), readSecret('xks-vpc')]);
  });

  test('a CloudHSM store adds the cluster lookup and the service-linked role; another account\'s VPC endpoint service adds its lookup', () => {
    expect(handlerStatements(everyBackendStack())).toEqual([
      ...base,
      readSecret('kmsuser'),
      { Sid: 'DescribeCloudHsmClusters', Action: 'cloudhsm:DescribeClusters', Effect: 'Allow', Resource: '*' },
      {
        Sid: 'CreateKmsCustomKeyStoreServiceLinkedRole',
        Action: 'iam:CreateServiceLinkedRole',
        Condition: { StringEquals: { 'iam:AWSServiceName': 'cks.kms.amazonaws.com' } },
        Effect: 'Allow',
        Resource: partitionArn(`:iam::${ACCOUNT}:role/aws-service-role/cks.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceCustomKeyStores`),
      },
      readSecret('xks'),
      readSecret('xks-vpc'),
      { Sid: 'DescribeVpcEndpointServices', Action: 'ec2:DescribeVpcEndpointServices', Effect: 'Allow', Resource: '*' },
    ]);
  });

  test('a secret encrypted with a customer managed key adds kms:Decrypt on that key', () => {
    const stack = new Stack(new App(), 'KeyStores', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const key = new kms.Key(stack, 'SecretKey');
    const secret = new secretsmanager.Secret(stack, 'Credential', { encryptionKey: key });
    new CustomKeyStore(stack, 'Public', { customKeyStoreName: 'xks', backend: publicBackend(stack, { proxyCredential: secret }) });
    // The key is in the same stack, so aws-cdk-lib grants through the key policy, to the handler role only.
    const keyPolicy = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0].Properties as { KeyPolicy: { Statement: unknown[] } };
    const forHandler = keyPolicy.KeyPolicy.Statement.filter((s) => JSON.stringify(s).includes('KmsCustomKeyStoreProviderHandlerRole'));
    expect(forHandler).toEqual([
      {
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::GetAtt': ['KmsCustomKeyStoreProviderHandlerRole859AA923', 'Arn'] } },
        Resource: '*',
      },
    ]);
  });

  test('the framework roles use no managed policy', () => {
    const roles = Template.fromStack(everyBackendStack()).findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect((role.Properties as { ManagedPolicyArns?: unknown }).ManagedPolicyArns).toBeUndefined();
    }
  });
});
