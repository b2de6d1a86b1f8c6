/** addKey on ICustomKeyStore: an imported store takes keys the same way as a store declared here. */
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CustomKeyStore, CustomKeyStoreKey, CustomKeyStoreType, ICustomKeyStore } from '../../lib';
import { Construct } from 'constructs';
import { newStack } from '../fixtures/stacks';

const KEY_TYPE = 'Custom::KmsCustomKeyStoreKey';

function keyProperties(stack: ReturnType<typeof newStack>): Array<Record<string, unknown>> {
  return Object.values(Template.fromStack(stack).findResources(KEY_TYPE)).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
}

describe('addKey on an imported store', () => {
  test('by id: the key is a child of the imported store, in that store; xksKeyId decides the origin', () => {
    const stack = newStack();
    const imported: ICustomKeyStore = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    const hsmKey = imported.addKey('HsmKey', { description: 'in the cluster' });
    const xksKey = imported.addKey('XksKey', { xksKeyId: 'payments-key-1' });
    expect(hsmKey).toBeInstanceOf(CustomKeyStoreKey);
    expect([hsmKey.node.path, xksKey.node.path]).toEqual(['KeyStores/Imported/HsmKey', 'KeyStores/Imported/XksKey']);
    expect(keyProperties(stack).map((p) => [p.CustomKeyStoreId, p.Origin, p.XksKeyId, p.Description])).toEqual([
      ['cks-1234567890abcdef0', 'AWS_CLOUDHSM', undefined, 'in the cluster'],
      ['cks-1234567890abcdef0', 'EXTERNAL_KEY_STORE', 'payments-key-1', undefined],
    ]);
  });

  test('gives the same key resource as new CustomKeyStoreKey(...) with the imported store', () => {
    const viaAddKey = newStack();
    CustomKeyStore.fromCustomKeyStoreId(viaAddKey, 'Imported', 'cks-1234567890abcdef0').addKey('Key', { xksKeyId: 'k1', enabled: false });
    const viaConstructor = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreId(viaConstructor, 'Imported', 'cks-1234567890abcdef0');
    const scope = viaConstructor.node.findChild('Imported');
    if (!(scope instanceof Construct)) {
      throw new Error('expected the imported store to be a construct');
    }
    new CustomKeyStoreKey(scope, 'Key', { customKeyStore: imported, xksKeyId: 'k1', enabled: false });
    expect(Template.fromStack(viaAddKey).toJSON()).toEqual(Template.fromStack(viaConstructor).toJSON());
  });

  test('with its type: the type is checked as for a declared store, naming the store when its name is known', () => {
    const stack = newStack();
    const xks = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Xks', { customKeyStoreId: 'cks-1234567890abcdef0', customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE, customKeyStoreName: 'theirs' });
    expect(() => xks.addKey('NoXksKeyId')).toThrow("xksKeyId is required for a key in external key store 'theirs'; expected 1-128 characters of [a-zA-Z0-9-_.], the id of the external key in the XKS proxy (at KeyStores/Xks/NoXksKeyId)");
    const hsm = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Hsm', { customKeyStoreId: 'cks-0987654321fedcba0', customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM });
    expect(() => hsm.addKey('WithXksKeyId', { xksKeyId: 'k1' })).toThrow('xksKeyId: is not allowed for a key in CloudHSM key store; expected no xksKeyId (KMS generates the key material in the cluster) (at KeyStores/Hsm/WithXksKeyId)');
    // The keys that fit are declared; the refused ones added no resource.
    xks.addKey('Fits', { xksKeyId: 'k1' });
    hsm.addKey('FitsToo');
    expect(keyProperties(stack).map((p) => p.Origin)).toEqual(['EXTERNAL_KEY_STORE', 'AWS_CLOUDHSM']);
  });

  test('the key options are checked as for a declared store', () => {
    const stack = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    expect(() => imported.addKey('Bad', { xksKeyId: 'a/b' })).toThrow("xksKeyId: 'a/b' does not match");
  });

  test('the key is a kms.IKey with the key store provider, and the imported store itself still declares nothing', () => {
    const stack = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    const key = imported.addKey('Key');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantDecrypt(role);
    const template = Template.fromStack(stack);
    template.resourceCountIs(KEY_TYPE, 1);
    template.resourceCountIs('Custom::KmsCustomKeyStore', 0);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    const underStore = imported.node.findAll().filter((c) => c instanceof CfnResource).map((c) => c.cfnResourceType);
    expect(underStore).toEqual([KEY_TYPE]);
  });
});
