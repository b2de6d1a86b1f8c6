/**
 * The KMS and Secrets Manager clients mocked once for a test file (a second mockClient of the same
 * client would disconnect the first one's stubs), and an AWS error as the SDK raises it.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

export const kmsMock = mockClient(KMSClient);
export const smMock = mockClient(SecretsManagerClient);

/** An error as the SDK raises it for a service exception it has no class for. */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}
