/** The KMS errors the model throws from more than one place, with the texts KMS gives them. */
import { ServiceError } from '../../endpoint/service-error';

export const notFound = (id: string): ServiceError => new ServiceError('CustomKeyStoreNotFoundException', `Custom key store '${id}' does not exist in this account and Region.`);

export const invalidState = (id: string, state: string, op: string): ServiceError =>
  new ServiceError('CustomKeyStoreInvalidStateException', `${op} is not allowed while custom key store '${id}' is ${state}.`);

export const validation = (message: string): ServiceError => new ServiceError('ValidationException', message);
