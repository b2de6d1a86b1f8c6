/** CustomKeyStoreKey.applyRemovalPolicy(): as kms.Key's, it reaches the key's custom resource. */
import { RemovalPolicies, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CustomKeyStore, CustomKeyStoreKey } from '../../lib';
import { cloudHsmBackend, newStack } from '../fixtures/stacks';

const KEY_TYPE = 'Custom::KmsCustomKeyStoreKey';

function declareKey(props: { removalPolicy?: RemovalPolicy } = {}): { stack: ReturnType<typeof newStack>; key: CustomKeyStoreKey } {
  const stack = newStack();
  const store = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) });
  return { stack, key: store.addKey('Key', props) };
}

function keyResource(stack: ReturnType<typeof newStack>): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  const found = Object.values(Template.fromStack(stack).findResources(KEY_TYPE));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
}

describe('CustomKeyStoreKey.applyRemovalPolicy', () => {
  test('by default a key is RETAIN_ON_UPDATE_OR_DELETE: kept on update and stack delete, deleted by the rollback of the deploy that created it', () => {
    const resource = keyResource(declareKey().stack);
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  test.each<[RemovalPolicy, string]>([
    [RemovalPolicy.DESTROY, 'Delete'],
    [RemovalPolicy.RETAIN, 'Retain'],
    [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'RetainExceptOnCreate'],
  ])('%s sets the custom resource\'s DeletionPolicy and UpdateReplacePolicy to %s', (policy, expected) => {
    const { stack, key } = declareKey();
    key.applyRemovalPolicy(policy);
    const resource = keyResource(stack);
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([expected, policy === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE ? 'Retain' : expected]);
  });

  test('overrides the removalPolicy property, and the handler\'s properties do not change (it reads no removal policy: CloudFormation decides whether Delete is sent)', () => {
    const declared = declareKey({ removalPolicy: RemovalPolicy.DESTROY });
    const applied = declareKey({ removalPolicy: RemovalPolicy.DESTROY });
    applied.key.applyRemovalPolicy(RemovalPolicy.RETAIN);
    expect(keyResource(applied.stack).DeletionPolicy).toBe('Retain');
    expect(keyResource(declared.stack).DeletionPolicy).toBe('Delete');
    expect(keyResource(applied.stack).Properties).toEqual(keyResource(declared.stack).Properties);
    expect(Object.keys(keyResource(applied.stack).Properties)).not.toContain('RemovalPolicy');
  });

  test('the same as the property: applying DESTROY gives the template that removalPolicy: DESTROY gives', () => {
    const declared = declareKey({ removalPolicy: RemovalPolicy.DESTROY });
    const applied = declareKey();
    applied.key.applyRemovalPolicy(RemovalPolicy.DESTROY);
    expect(Template.fromStack(applied.stack).toJSON()).toEqual(Template.fromStack(declared.stack).toJSON());
  });

  test('refuses SNAPSHOT with the construct path, leaving the key as it was', () => {
    const { stack, key } = declareKey();
    expect(() => { key.applyRemovalPolicy(RemovalPolicy.SNAPSHOT); }).toThrow('removalPolicy: SNAPSHOT is not supported by KMS keys; expected RETAIN_ON_UPDATE_OR_DELETE (the default), RETAIN or DESTROY (at KeyStores/Hsm/Key)');
    expect(keyResource(stack).DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  test('aws-cdk-lib\'s RemovalPolicies.of(scope) reaches the key too', () => {
    const { stack } = declareKey();
    RemovalPolicies.of(stack).destroy();
    expect(keyResource(stack).DeletionPolicy).toBe('Delete');
  });
});
