/**
 * Which emulated service answers each operation: its wire name (X-Amz-Target's prefix, or
 * `cloudformation` for the query protocol), its request quota, and the model method behind it.
 */
import { CloudFormationModel } from '../services/cloudformation';
import { CloudWatchModel } from '../services/cloudwatch';
import { KmsModel } from '../services/kms/model';
import { SecretsManagerModel } from '../services/secrets-manager';
import { SsmModel } from '../services/ssm';

/** The wire protocol's service names, as the AWS SDK sends them in X-Amz-Target. */
type ServiceName = 'TrentService' | 'secretsmanager' | 'cloudformation' | 'GraniteServiceVersion20100801' | 'AmazonSSM';

/** The models behind the endpoint, one per emulated service. */
export interface EmulatedServices {
  readonly model: KmsModel;
  readonly secrets: SecretsManagerModel;
  readonly cloudFormation: CloudFormationModel;
  readonly cloudWatch: CloudWatchModel;
  readonly ssm: SsmModel;
}

type Input = Record<string, unknown>;

/** One operation the endpoint answers: its service, its request quota and the model method behind it. */
export interface Operation {
  readonly service: ServiceName;
  /** Requests per second per account and Region (docs/kms-facts.md; Secrets Manager's published rates). */
  readonly quota: number;
  readonly run: (services: EmulatedServices, input: Input) => Input;
}

/** The operations of one service: its wire name, and which of the endpoint's models answers it. */
function serviceOperations<M>(service: ServiceName, modelOf: (services: EmulatedServices) => M): (quota: number, run: (model: M, input: Input) => Input) => Operation {
  return (quota, run) => ({ service, quota, run: (services, input) => run(modelOf(services), input) });
}

const kmsOperation = serviceOperations('TrentService', (e) => e.model);
const secretsOperation = serviceOperations('secretsmanager', (e) => e.secrets);
const cloudFormationOperation = serviceOperations('cloudformation', (e) => e.cloudFormation);
const cloudWatchOperation = serviceOperations('GraniteServiceVersion20100801', (e) => e.cloudWatch);
const ssmOperation = serviceOperations('AmazonSSM', (e) => e.ssm);

/** Every operation the endpoint knows; anything else is UnknownOperationException. */
const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateCustomKeyStore: kmsOperation(5, (m, i) => m.CreateCustomKeyStore(i)),
  ConnectCustomKeyStore: kmsOperation(5, (m, i) => m.ConnectCustomKeyStore(i)),
  DisconnectCustomKeyStore: kmsOperation(5, (m, i) => m.DisconnectCustomKeyStore(i)),
  UpdateCustomKeyStore: kmsOperation(5, (m, i) => m.UpdateCustomKeyStore(i)),
  DeleteCustomKeyStore: kmsOperation(5, (m, i) => m.DeleteCustomKeyStore(i)),
  DescribeCustomKeyStores: kmsOperation(5, (m, i) => m.DescribeCustomKeyStores(i)),
  ListKeys: kmsOperation(500, (m, i) => m.ListKeys(i)),
  DescribeKey: kmsOperation(2000, (m, i) => m.DescribeKey(i)),
  CreateKey: kmsOperation(5, (m, i) => m.CreateKey(i)),
  ScheduleKeyDeletion: kmsOperation(15, (m, i) => m.ScheduleKeyDeletion(i)),
  CancelKeyDeletion: kmsOperation(15, (m, i) => m.CancelKeyDeletion(i)),
  PutKeyPolicy: kmsOperation(15, (m, i) => m.PutKeyPolicy(i)),
  GetKeyPolicy: kmsOperation(1000, (m, i) => m.GetKeyPolicy(i)),
  UpdateKeyDescription: kmsOperation(5, (m, i) => m.UpdateKeyDescription(i)),
  EnableKey: kmsOperation(5, (m, i) => m.EnableKey(i)),
  DisableKey: kmsOperation(5, (m, i) => m.DisableKey(i)),
  TagResource: kmsOperation(10, (m, i) => m.TagResource(i)),
  UntagResource: kmsOperation(5, (m, i) => m.UntagResource(i)),
  ListResourceTags: kmsOperation(2000, (m, i) => m.ListResourceTags(i)),
  // Cryptographic operations share one quota in KMS (5,500 to 100,000 a second by Region); GenerateRandom has its own.
  GenerateRandom: kmsOperation(5500, (m, i) => m.GenerateRandom(i)),
  Encrypt: kmsOperation(5500, (m, i) => m.Encrypt(i)),
  GetSecretValue: secretsOperation(10000, (m, i) => m.GetSecretValue(i)),
  DescribeSecret: secretsOperation(10000, (m, i) => m.DescribeSecret(i)),
  CreateSecret: secretsOperation(50, (m, i) => m.CreateSecret(i)),
  PutSecretValue: secretsOperation(50, (m, i) => m.PutSecretValue(i)),
  DescribeStacks: cloudFormationOperation(100, (m, i) => m.DescribeStacks(i)),
  PutMetricData: cloudWatchOperation(500, (m, i) => m.PutMetricData(i)),
  GetParameter: ssmOperation(40, (m, i) => m.GetParameter(i)),
  PutParameter: ssmOperation(3, (m, i) => m.PutParameter(i)),
  GetParametersByPath: ssmOperation(40, (m, i) => m.GetParametersByPath(i)),
  DeleteParameter: ssmOperation(3, (m, i) => m.DeleteParameter(i)),
};

/** The real request quotas by operation. */
export const REAL_QUOTAS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(OPERATIONS).map(([name, op]) => [name, op.quota]));

/** The operation `service` answers by that name; undefined when it has none (UnknownOperationException). */
export function route(service: string, operation: string): Operation | undefined {
  const op = Object.prototype.hasOwnProperty.call(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
  return op?.service === service ? op : undefined;
}
