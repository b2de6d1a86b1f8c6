import { IConstruct } from 'constructs';

// The markers aws-cdk-lib's `Errors.isValidationError` looks for, so that tools which recognise
// aws-cdk-lib's own validation errors recognise this one too.
const CONSTRUCT_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR_SYMBOL = Symbol.for('@aws-cdk/core.ValidationError');
const OWN_SYMBOL = Symbol.for('cdk-kms-custom-key-store.CustomKeyStoreValidationError');

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

  private constructor() {}
}

// An unexported base, as aws-cdk-lib's errors have: jsii cannot model a class that extends Error
// directly, and erases a base class that is not exported.
abstract class ScopedError extends Error {}

/**
 * Thrown at synth time for input KMS would reject: the message names the property, the problem,
 * the rule and the construct path (also in `constructPath`).
 *
 * TypeScript and JavaScript callers can catch it by type; in other languages it arrives as the
 * host language's runtime error with the same message (jsii does not carry error classes across).
 *
 * @internal
 */
export class CustomKeyStoreValidationError extends ScopedError {
  /** The path of the construct whose input was rejected, e.g. `MyStack/PaymentsHsm`. */
  public readonly constructPath: string;

  constructor(message: string, scope: IConstruct) {
    super(`${message} (at ${scope.node.path})`);
    this.name = 'CustomKeyStoreValidationError';
    this.constructPath = scope.node.path;
    for (const marker of [CONSTRUCT_ERROR_SYMBOL, VALIDATION_ERROR_SYMBOL, OWN_SYMBOL]) {
      Object.defineProperty(this, marker, { value: true });
    }
  }
}
