/**
 * The local AWS world as the tests, the demo (scripts/demo.ts) and the bench (scripts/bench.ts) use
 * it: the endpoint that emulates KMS, Secrets Manager, CloudWatch, SSM and CloudFormation, its clock,
 * and the runner that deploys a synthesized stack against it.
 */
export { seededRandom } from './clock';
export { localClientConfig } from './endpoint/client-config';
export { LocalKms, startLocalKms } from './endpoint/server';
export type { LocalKmsOptions } from './endpoint/server';
export { ServiceError } from './endpoint/service-error';
export type { SecretLabelUpdatedEvent } from './services/secrets-manager';
export { StackRunner } from './runner/stack-runner';
export type { ResourceEvent } from './runner/stack-runner';
