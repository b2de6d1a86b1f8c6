import { IConstruct } from 'constructs';

// The markers aws-cdk-lib's `Errors.isValidationError` looks for, so that tools which recognise
// aws-cdk-lib's own validation errors recognise this one too.
const CONSTRUCT_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.ValidationError');
const OWN_SYMBOL = Symbol.for('cdk-kms-custom-key-store.CustomKeyStoreValidationError');

/**
 * The kind of a validation error of this library: a stable code to match on instead of the
 * message, whose wording may change.
 *
 * As aws-cdk-lib does with its own error codes, the code is also the error's `name`, so that it
 * survives the jsii runtime: in Python, Java, .NET and Go the error's message begins with it
 * (`CustomKeyStore.InvalidValue: clusterId: ...`). `CustomKeyStoreErrors.codeOf()` reads it from
 * the error or from that message.
 */
export enum CustomKeyStoreErrorCode {
  /** A required property (or one of a required pair) is missing. */
  MISSING_PROPERTY = 'CustomKeyStore.MissingProperty',
  /** A value breaks the rule KMS (or CloudWatch) has for it: its format, length, characters or allowed values. */
  INVALID_VALUE = 'CustomKeyStore.InvalidValue',
  /** A duration or number is outside the range KMS, CloudFormation or CloudWatch accepts. */
  OUT_OF_RANGE = 'CustomKeyStore.OutOfRange',
  /** A token where the library needs a literal value at synth time. */
  TOKEN_NOT_SUPPORTED = 'CustomKeyStore.TokenNotSupported',
  /** A setting aws-cdk-lib offers that KMS does not support here (SNAPSHOT, asymmetric keys, multi-Region keys, rotation, some metric options). */
  UNSUPPORTED_SETTING = 'CustomKeyStore.UnsupportedSetting',
  /** Two properties that exclude each other are both given. */
  CONFLICTING_PROPERTIES = 'CustomKeyStore.ConflictingProperties',
  /** A property, metric or option that does not fit the store's type (CloudHSM or external). */
  STORE_TYPE_MISMATCH = 'CustomKeyStore.StoreTypeMismatch',
  /**
   * No longer raised: a key in a store declared with `connected: false` is allowed, with the
   * acknowledgeable warning `cdk-kms-custom-key-store:keyInDisconnectedStore`.
   *
   * @deprecated KMS keeps keys in a disconnected store; only creating one needs a connected store.
   */
  STORE_NOT_CONNECTED = 'CustomKeyStore.StoreNotConnected',
  /** A metric of a feature the store was not declared with (such as `metricProxyCredentialSyncFailed()` without `syncProxyCredential`). */
  FEATURE_NOT_ENABLED = 'CustomKeyStore.FeatureNotEnabled',
  /** A call that may be made once per store was made again (`addRecommendedAlarms()`). */
  ALREADY_ADDED = 'CustomKeyStore.AlreadyAdded',
}

const CODES: readonly CustomKeyStoreErrorCode[] = Object.values(CustomKeyStoreErrorCode);
/** The code at the start of a message, or after another `Name: ` prefix a runtime put before it. */
const CODE_IN_MESSAGE = /(?:^|: )(CustomKeyStore\.[A-Za-z]+): /;

/**
 * Recognises the errors this library throws, as aws-cdk-lib's `Errors` does for its own.
 */
// jsii has no free functions: a class of static methods is how other languages get a function.
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
export class CustomKeyStoreErrors {
  /**
   * Whether `x` is a validation error of this library (a `CustomKeyStoreValidationError`), even
   * one thrown by another copy of the library. aws-cdk-lib's `Errors.isValidationError` is true for
   * it too.
   */
  public static isValidationError(x: unknown): boolean {
    return typeof x === 'object' && x !== null && OWN_SYMBOL in x;
  }

  /**
   * The code of a validation error of this library, from the error itself (TypeScript and
   * JavaScript) or from its message (any language: in Python, Java, .NET and Go the jsii runtime's
   * error carries the code at the start of its message, e.g. `str(error)` in Python).
   *
   * @param x the error, or its message
   * @returns the code, or undefined for anything else (another error, or a message without one of this library's codes)
   */
  public static codeOf(x: unknown): CustomKeyStoreErrorCode | undefined {
    if (CustomKeyStoreErrors.isValidationError(x)) {
      return (x as CustomKeyStoreValidationError).code;
    }
    const message = typeof x === 'string' ? x : x instanceof Error ? x.message : undefined;
    const found = message === undefined ? undefined : CODE_IN_MESSAGE.exec(message)?.[1];
    return CODES.find((code) => code === found);
  }

  private constructor() {}
}

// An unexported base, as aws-cdk-lib's errors have: jsii cannot model a class that extends Error
// directly, and erases a base class that is not exported.
abstract class ScopedError extends Error {}

/**
 * Thrown at synth time for input KMS would reject: the message names the property, the problem,
 * the rule and the construct path (also in `constructPath`); `code` (also the error's `name`, as
 * aws-cdk-lib's errors have theirs) says which kind of problem it is.
 *
 * TypeScript and JavaScript callers can catch it by type; in other languages it arrives as the
 * host language's runtime error whose message is `<code>: <message>` (jsii does not carry error
 * classes across): `CustomKeyStoreErrors.codeOf()` reads the code in either case.
 *
 * @internal
 */
export class CustomKeyStoreValidationError extends ScopedError {
  /** The path of the construct whose input was rejected, e.g. `MyStack/PaymentsHsm`. */
  public readonly constructPath: string;

  /** The kind of problem, stable across versions. */
  public readonly code: CustomKeyStoreErrorCode;

  constructor(code: CustomKeyStoreErrorCode, message: string, scope: IConstruct) {
    super(`${message} (at ${scope.node.path})`);
    this.name = code;
    this.code = code;
    this.constructPath = scope.node.path;
    for (const marker of [CONSTRUCT_ERROR_SYMBOL, VALIDATION_ERROR_SYMBOL, OWN_SYMBOL]) {
      Object.defineProperty(this, marker, { value: true });
    }
  }
}
