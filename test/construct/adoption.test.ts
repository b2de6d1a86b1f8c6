/**
 * adoptExisting and adoptSendsSecrets: what they put in the template (nothing at all when unset),
 * the handler's permission on the stack's adoption records, and the checks at synth.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CustomKeyStore, CustomKeyStoreErrorCode, CustomKeyStoreErrors } from '../../lib';
import { cfnLint, synthWithNag } from '../fixtures/checks';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, publicBackend } from '../fixtures/stacks';

function stackWith(props: { adoptExisting?: boolean; adoptSendsSecrets?: boolean }, app = new App(), name = 'Adopting'): Stack {
  const stack = new Stack(app, name, { env: { account: ACCOUNT, region: 'us-east-1' } });
  new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), ...props });
  new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'xks', backend: publicBackend(stack), ...props });
  return stack;
}

function storeProperties(stack: Stack): Array<Record<string, unknown>> {
  return Object.values(Template.fromStack(stack).findResources('Custom::KmsCustomKeyStore')).map((r) => r.Properties as Record<string, unknown>);
}

function adoptionStatements(stack: Stack): unknown[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Array<{ Sid?: string }> } }).PolicyDocument.Statement)
    .filter((s) => s.Sid === 'AdoptionRecords');
}

test('without adoptExisting the properties and the role are as before: no Adopt* property, no SSM permission', () => {
  const stack = stackWith({});
  for (const props of storeProperties(stack)) {
    expect(Object.keys(props).filter((k) => k.startsWith('Adopt'))).toEqual([]);
  }
  expect(adoptionStatements(stack)).toEqual([]);
});

test('adoptExisting writes AdoptExisting "true", and lets the handler keep records under the stack\'s own prefix only', () => {
  const stack = stackWith({ adoptExisting: true });
  for (const props of storeProperties(stack)) {
    expect(props.AdoptExisting).toBe('true');
    expect(props.AdoptSendsSecrets).toBeUndefined();
  }
  expect(adoptionStatements(stack)).toEqual([
    {
      Sid: 'AdoptionRecords',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:${ACCOUNT}:parameter/cdk-kms-custom-key-store/adopted/Adopting/*`]] },
    },
  ]);
});

test('adoptSendsSecrets writes AdoptSendsSecrets "true" (a flag: the secrets still travel as ARNs)', () => {
  const stack = stackWith({ adoptExisting: true, adoptSendsSecrets: true });
  for (const props of storeProperties(stack)) {
    expect(props.AdoptSendsSecrets).toBe('true');
  }
  expect(JSON.stringify(storeProperties(stack))).not.toMatch(/CANARY|Canary/);
});

test('adoptSendsSecrets without adoptExisting is refused at synth', () => {
  let error: unknown;
  try {
    stackWith({ adoptSendsSecrets: true });
  } catch (err) {
    error = err;
  }
  expect(CustomKeyStoreErrors.isValidationError(error)).toBe(true);
  expect((error as { code?: string }).code).toBe(CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES);
  expect((error as Error).message).toMatch(/^adoptSendsSecrets: applies only with adoptExisting: true/);
});

test('an adopting stack, environment-agnostic too, has no unacknowledged cdk-nag finding and no cfn-lint error', () => {
  synthWithNag((app) => stackWith({ adoptExisting: true }, app));
  synthWithNag((app) => {
    const stack = new Stack(app, 'Agnostic');
    new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack), adoptExisting: true });
  });
  const findings = cfnLint(stackWith({ adoptExisting: true }));
  expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
  expect([...new Set(findings.map((f) => f.Rule.Id))].filter((id) => id !== 'W3005')).toEqual([]);
});
