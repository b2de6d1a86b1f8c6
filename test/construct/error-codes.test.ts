/**
 * Validation errors carry a stable code per kind of problem, readable from every language:
 * from the error in TypeScript and JavaScript, from its message where jsii carries only that.
 */
import { Duration, Errors, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudhsm from 'aws-cdk-lib/aws-cloudhsm';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CustomKeyStore, CustomKeyStoreErrorCode, CustomKeyStoreErrors, CustomKeyStoreType, CustomKeyStoreValidationError, XksProxyErrorType } from '../../lib';
import { cloudHsmBackend, newStack, publicBackend } from '../fixtures/stacks';

const xksStore = (stack: Stack, props: { connected?: boolean } = {}): CustomKeyStore => new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'xks', backend: publicBackend(stack), ...props });
const hsmStore = (stack: Stack): CustomKeyStore => new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: cloudHsmBackend(stack) });

const cases: Array<[string, CustomKeyStoreErrorCode, (stack: Stack) => unknown]> = [
  ['a store without a name', CustomKeyStoreErrorCode.MISSING_PROPERTY, (s) => new CustomKeyStore(s, 'S', { customKeyStoreName: undefined as unknown as string, backend: publicBackend(s) })],
  ['a CloudHSM backend with neither clusterId nor cluster', CustomKeyStoreErrorCode.MISSING_PROPERTY, (s) => new CustomKeyStore(s, 'S', { customKeyStoreName: 'a', backend: cloudHsmBackend(s, { clusterId: undefined }) })],
  ['a proxy endpoint with a port', CustomKeyStoreErrorCode.INVALID_VALUE, (s) => new CustomKeyStore(s, 'S', { customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'https://xks.example.com:8443' }) })],
  ['an imported store id that is not one', CustomKeyStoreErrorCode.INVALID_VALUE, (s) => CustomKeyStore.fromCustomKeyStoreId(s, 'S', 'arn:aws:kms:store')],
  ['a wait timeout of two hours', CustomKeyStoreErrorCode.OUT_OF_RANGE, (s) => new CustomKeyStore(s, 'S', { customKeyStoreName: 'a', backend: publicBackend(s), waitTimeout: Duration.hours(2) })],
  ['a pending window of 6 days', CustomKeyStoreErrorCode.OUT_OF_RANGE, (s) => hsmStore(s).addKey('K', { pendingWindow: Duration.days(6) })],
  ['a token pending window', CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, (s) => hsmStore(s).addKey('K', { pendingWindow: Duration.days(Token.asNumber({ Ref: 'Days' })) })],
  ['SNAPSHOT on a store', CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, (s) => { xksStore(s).applyRemovalPolicy(RemovalPolicy.SNAPSHOT); }],
  ['an asymmetric key', CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, (s) => hsmStore(s).addKey('K', { keySpec: kms.KeySpec.RSA_2048 })],
  ['a percentile of a Metrics Insights metric', CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, (s) => xksStore(s).metricXksProxyLatency({ statistic: cloudwatch.Stats.p(99) })],
  ['clusterId and cluster', CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES, (s) => new CustomKeyStore(s, 'S', {
    customKeyStoreName: 'a', backend: cloudHsmBackend(s, { cluster: new cloudhsm.CfnCluster(s, 'C', { hsmType: 'hsm2m.medium' }) }),
  })],
  ['errorType and dimensionsMap.ErrorType', CustomKeyStoreErrorCode.CONFLICTING_PROPERTIES, (s) => xksStore(s).metricXksProxyErrors({ errorType: XksProxyErrorType.RETRYABLE, dimensionsMap: { ErrorType: 'Retryable' } })],
  ['an external key without xksKeyId', CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, (s) => xksStore(s).addKey('K')],
  ['an XKS metric of a CloudHSM store', CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, (s) => CustomKeyStore.fromCustomKeyStoreAttributes(s, 'I', { customKeyStoreId: 'cks-1', customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM }).metricXksProxyLatency()],
  ['proxy credential sync for a CloudHSM store', CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, (s) => new CustomKeyStore(s, 'S', { customKeyStoreName: 'a', backend: cloudHsmBackend(s), syncProxyCredential: true })],
  ['the sync metric of a store without the sync', CustomKeyStoreErrorCode.FEATURE_NOT_ENABLED, (s) => xksStore(s).metricProxyCredentialSyncFailed()],
  ['recommended alarms added twice', CustomKeyStoreErrorCode.ALREADY_ADDED, (s) => { const store = xksStore(s); store.addRecommendedAlarms(); store.addRecommendedAlarms(); }],
];

function thrown(make: (stack: Stack) => unknown): Error {
  try {
    make(newStack());
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a validation error');
}

describe('each kind of validation error has its code', () => {
  test.each(cases)('%s: %s', (_name, code, make) => {
    const error = thrown(make);
    if (!(error instanceof CustomKeyStoreValidationError)) {
      throw new Error(`expected a CustomKeyStoreValidationError, got ${String(error)}`);
    }
    expect(CustomKeyStoreErrors.codeOf(error)).toBe(code);
    expect([error.code, error.name]).toEqual([code, code]);
    // Still a validation error to both type guards, and the message is only the message.
    expect([CustomKeyStoreErrors.isValidationError(error), Errors.isValidationError(error)]).toEqual([true, true]);
    expect(error.message).not.toContain('CustomKeyStore.');
    expect(error.message).toMatch(/ \(at KeyStores\/[^)]+\)$/);
  });

  test('every code is used by some validation above', () => {
    // STORE_NOT_CONNECTED is deprecated: a key in a store declared disconnected is a warning now.
    const raised = Object.values(CustomKeyStoreErrorCode).filter((code) => (code as string) !== 'CustomKeyStore.StoreNotConnected');
    expect([...new Set(cases.map(([, code]) => code))].sort()).toEqual(raised.sort());
  });

  test('the codes are distinct and stable strings', () => {
    expect(Object.entries(CustomKeyStoreErrorCode)).toEqual([
      ['MISSING_PROPERTY', 'CustomKeyStore.MissingProperty'],
      ['INVALID_VALUE', 'CustomKeyStore.InvalidValue'],
      ['OUT_OF_RANGE', 'CustomKeyStore.OutOfRange'],
      ['TOKEN_NOT_SUPPORTED', 'CustomKeyStore.TokenNotSupported'],
      ['UNSUPPORTED_SETTING', 'CustomKeyStore.UnsupportedSetting'],
      ['CONFLICTING_PROPERTIES', 'CustomKeyStore.ConflictingProperties'],
      ['STORE_TYPE_MISMATCH', 'CustomKeyStore.StoreTypeMismatch'],
      ['STORE_NOT_CONNECTED', 'CustomKeyStore.StoreNotConnected'],
      ['FEATURE_NOT_ENABLED', 'CustomKeyStore.FeatureNotEnabled'],
      ['ALREADY_ADDED', 'CustomKeyStore.AlreadyAdded'],
    ]);
  });
});

describe('codeOf from the message, as Python, Java, .NET and Go see the error', () => {
  const error = thrown((s) => new CustomKeyStore(s, 'S', { customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'https://xks.example.com:8443' }) }));

  test('the jsii runtime wraps the error in its own, whose message is the error as a string: the code comes first', () => {
    // What @jsii/kernel does with an error a call throws: `new RuntimeError(error)`, i.e. Error(String(error)).
    const wrapped = new Error(String(error));
    expect(wrapped.message).toBe(`CustomKeyStore.InvalidValue: ${error.message}`);
    expect(CustomKeyStoreErrors.codeOf(wrapped)).toBe(CustomKeyStoreErrorCode.INVALID_VALUE);
    expect(CustomKeyStoreErrors.codeOf(wrapped.message)).toBe(CustomKeyStoreErrorCode.INVALID_VALUE);
    expect(CustomKeyStoreErrors.codeOf(`@jsii/kernel.RuntimeError: ${wrapped.message}`)).toBe(CustomKeyStoreErrorCode.INVALID_VALUE);
  });

  test('anything else has no code', () => {
    expect(CustomKeyStoreErrors.codeOf(error.message)).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf(new Error('x'))).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf('CustomKeyStore.NoSuchCode: x')).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf('the text CustomKeyStore.InvalidValue: inside')).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf(undefined)).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf(42)).toBeUndefined();
    expect(CustomKeyStoreErrors.codeOf({ message: 'CustomKeyStore.InvalidValue: x' })).toBeUndefined();
  });
});
