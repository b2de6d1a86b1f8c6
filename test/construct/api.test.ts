/** The public API as a CDK user meets it: closed sets, imports, removal policy, the error type. */
import { CfnResource, Errors, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectionState, CustomKeyStore, CustomKeyStoreErrors, CustomKeyStoreType, CustomKeyStoreValidationError, KeyStoreBackend } from '../../lib';
import * as lib from '../../lib';
import { CLOUD_HSM, EXTERNAL_KEY_STORE } from '../../lib/private/contract/store-properties';
import { cloudHsmBackend, newStack, publicBackend, vpcBackend } from '../fixtures/stacks';

describe('closed sets', () => {
  test('CustomKeyStoreType holds exactly the contract values the handler accepts', () => {
    expect(Object.values(CustomKeyStoreType).sort()).toEqual([CLOUD_HSM, EXTERNAL_KEY_STORE].sort());
  });

  test('each backend reports its kind, and the resource carries the same value', () => {
    const stack = newStack();
    const cases: Array<[KeyStoreBackend, CustomKeyStoreType]> = [
      [cloudHsmBackend(stack), CustomKeyStoreType.AWS_CLOUDHSM],
      [publicBackend(stack), CustomKeyStoreType.EXTERNAL_KEY_STORE],
      [vpcBackend(stack), CustomKeyStoreType.EXTERNAL_KEY_STORE],
    ];
    cases.forEach(([backend, type], i) => {
      expect(backend.customKeyStoreType).toBe(type);
      const store = new CustomKeyStore(stack, `Store${i}`, { customKeyStoreName: `s${i}`, backend });
      expect(store.customKeyStoreType).toBe(type);
    });
    const template = Template.fromStack(stack);
    cases.forEach(([, type], i) => {
      template.hasResourceProperties('Custom::KmsCustomKeyStore', { CustomKeyStoreName: `s${i}`, CustomKeyStoreType: type });
    });
  });

  test('ConnectionState names the two states a deployment ends in', () => {
    expect(Object.values(ConnectionState)).toEqual(['CONNECTED', 'DISCONNECTED']);
  });
});

describe('the entry point exports the API and nothing of its internals', () => {
  test('exported names', () => {
    expect(Object.keys(lib).sort()).toEqual([
      'ConnectionState', 'CustomKeyStore', 'CustomKeyStoreBase', 'CustomKeyStoreDashboard', 'CustomKeyStoreErrorCode', 'CustomKeyStoreErrors', 'CustomKeyStoreJanitor', 'CustomKeyStoreKey', 'CustomKeyStoreType', 'CustomKeyStoreValidationError', 'KeyStoreBackend',
      'XksExternalKeyManagerState', 'XksProxyErrorType',
    ]);
  });

  test('a backend cannot be made or bound except through the library', () => {
    const backend = publicBackend(newStack()) as unknown as Record<string, unknown>;
    expect(backend.bind).toBeUndefined();
    expect(typeof backend._bind).toBe('function');
  });
});

describe('fromCustomKeyStoreAttributes', () => {
  test('keeps the id, kind and name it is given, and declares nothing', () => {
    const stack = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Imported', {
      customKeyStoreId: 'cks-1234567890abcdef0',
      customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE,
      customKeyStoreName: 'payments-xks',
    });
    expect([imported.customKeyStoreId, imported.customKeyStoreType, imported.customKeyStoreName]).toEqual(['cks-1234567890abcdef0', 'EXTERNAL_KEY_STORE', 'payments-xks']);
    const byId = CustomKeyStore.fromCustomKeyStoreId(stack, 'ById', 'cks-abc');
    expect([byId.customKeyStoreType, byId.customKeyStoreName]).toEqual([undefined, undefined]);
    // Nothing to synthesize: no CloudFormation resource anywhere in the tree, no provider.
    expect(stack.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
    expect(stack.node.tryFindChild('KmsCustomKeyStoreProvider')).toBeUndefined();
  });

  test('rejects a bad id, name or kind, naming the path, and leaves the id free for a retry', () => {
    const stack = newStack();
    expect(() => CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Bad', { customKeyStoreId: 'arn:aws:kms:store' })).toThrow(
      "customKeyStoreId: 'arn:aws:kms:store' is not a custom key store id; expected 'cks-' followed by letters and digits, e.g. 'cks-1234567890abcdef0' (at KeyStores/Bad)",
    );
    expect(() => CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Bad', { customKeyStoreId: 'cks-1', customKeyStoreName: '' })).toThrow("customKeyStoreName: '' has 0 characters");
    expect(() => CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Bad', { customKeyStoreId: 'cks-1', customKeyStoreType: 'CLOUDHSM' as unknown as CustomKeyStoreType })).toThrow(
      "customKeyStoreType: 'CLOUDHSM' is not a custom key store type",
    );
    expect(CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Bad', { customKeyStoreId: 'cks-1' }).customKeyStoreId).toBe('cks-1');
  });
});

describe('applyRemovalPolicy', () => {
  test('sets the custom resource deletion and replacement policies, as the property does', () => {
    const stack = newStack();
    const store = new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack) });
    store.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource('Custom::KmsCustomKeyStore', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('refuses SNAPSHOT with the construct path', () => {
    const stack = newStack();
    const store = new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack) });
    expect(() => { store.applyRemovalPolicy(RemovalPolicy.SNAPSHOT); }).toThrow('removalPolicy: SNAPSHOT is not supported by custom key stores; expected DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE (at KeyStores/Store)');
    Template.fromStack(stack).hasResource('Custom::KmsCustomKeyStore', { DeletionPolicy: 'Delete' });
  });
});

describe('validation errors', () => {
  const invalid = (): unknown => {
    const stack = newStack();
    try {
      new CustomKeyStore(stack, 'Payments', { customKeyStoreName: 'a', backend: cloudHsmBackend(stack, { clusterId: 'cluster-1a23b4cdefg' }) });
    } catch (error) {
      return error;
    }
    throw new Error('expected a validation error');
  };

  test('are CustomKeyStoreValidationError with the construct path, recognised by both type guards', () => {
    const error = invalid();
    expect(error).toBeInstanceOf(CustomKeyStoreValidationError);
    expect((error as CustomKeyStoreValidationError).constructPath).toBe('KeyStores/Payments');
    expect((error as Error).message).toMatch(/^clusterId: 'cluster-1a23b4cdefg' has characters outside .* \(at KeyStores\/Payments\)$/);
    expect(CustomKeyStoreErrors.isValidationError(error)).toBe(true);
    expect(Errors.isValidationError(error)).toBe(true);
  });

  test('other errors are not taken for them', () => {
    expect(CustomKeyStoreErrors.isValidationError(new Error('x'))).toBe(false);
    expect(CustomKeyStoreErrors.isValidationError(undefined)).toBe(false);
    expect(CustomKeyStoreErrors.isValidationError('clusterId: bad')).toBe(false);
  });
});

test('Tags.of(store) adds no tag anywhere: KMS custom key stores have none (as the README says)', () => {
  const stack = newStack();
  const store = new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: publicBackend(stack) });
  Tags.of(store).add('team', 'payments');
  const template = Template.fromStack(stack);
  expect(template.findResources('Custom::KmsCustomKeyStore', { Properties: Match.objectLike({ Tags: Match.anyValue() }) })).toEqual({});
  expect(JSON.stringify(template.toJSON())).not.toContain('payments"');
});
