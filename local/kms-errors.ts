/** An error the local endpoint returns as KMS does: `__type`, `message` and an HTTP status. */
export class KmsError extends Error {
  constructor(
    public readonly type: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const notFound = (id: string): KmsError => new KmsError('CustomKeyStoreNotFoundException', `Custom key store '${id}' does not exist in this account and Region.`);

export const invalidState = (id: string, state: string, op: string): KmsError =>
  new KmsError('CustomKeyStoreInvalidStateException', `${op} is not allowed while custom key store '${id}' is ${state}.`);

export const validation = (message: string): KmsError => new KmsError('ValidationException', message);
