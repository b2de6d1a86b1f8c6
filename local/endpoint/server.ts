/**
 * The local KMS endpoint: KMS's JSON 1.1 protocol (`X-Amz-Target: TrentService.*`) and Secrets
 * Manager's (`secretsmanager.*`), and CloudWatch's PutMetricData (JSON 1.0,
 * `GraniteServiceVersion20100801.*`, what the watcher and the credential sync publish) and Parameter
 * Store's GetParameter/PutParameter (`AmazonSSM.*`, where the sync remembers what it applied) over HTTP on loopback, in front of KmsModel, with the account's
 * request quotas, configurable latency and injected faults. Point the AWS SDK at it with
 * AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL_SECRETS_MANAGER (and AWS_ENDPOINT_URL_CLOUDFORMATION for the one
 * CloudFormation call the handler makes, DescribeStacks, answered in CloudFormation's query protocol).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { Clock, seededRandom } from '../clock';
import { ServiceError } from './service-error';
import { KmsModel, ModelOptions } from '../services/kms/model';
import { CloudFormationModel } from '../services/cloudformation';
import { CloudWatchModel } from '../services/cloudwatch';
import { SsmModel } from '../services/ssm';
import { SecretsManagerModel } from '../services/secrets-manager';

/** The wire protocol's service names, as the AWS SDK sends them in X-Amz-Target. */
export type ServiceName = 'TrentService' | 'secretsmanager' | 'cloudformation' | 'GraniteServiceVersion20100801' | 'AmazonSSM';

/** One operation the endpoint answers: its service, its request quota and the model method behind it. */
interface Operation {
  readonly service: ServiceName;
  /** Requests per second per account and Region (KMS-FACTS.md; Secrets Manager's published rates). */
  readonly quota: number;
  readonly run: (endpoint: LocalKms, input: Record<string, unknown>) => Record<string, unknown>;
}

type Input = Record<string, unknown>;

/** The operations of one service: its wire name, and which of the endpoint's models answers it. */
function serviceOperations<M>(service: ServiceName, modelOf: (endpoint: LocalKms) => M): (quota: number, run: (model: M, input: Input) => Input) => Operation {
  return (quota, run) => ({ service, quota, run: (endpoint, input) => run(modelOf(endpoint), input) });
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
  GetSecretValue: secretsOperation(10000, (m, i) => m.GetSecretValue(i)),
  DescribeSecret: secretsOperation(10000, (m, i) => m.DescribeSecret(i)),
  CreateSecret: secretsOperation(50, (m, i) => m.CreateSecret(i)),
  PutSecretValue: secretsOperation(50, (m, i) => m.PutSecretValue(i)),
  DescribeStacks: cloudFormationOperation(100, (m, i) => m.DescribeStacks(i)),
  PutMetricData: cloudWatchOperation(500, (m, i) => m.PutMetricData(i)),
  GetParameter: ssmOperation(40, (m, i) => m.GetParameter(i)),
  PutParameter: ssmOperation(3, (m, i) => m.PutParameter(i)),
};

/** The real request quotas by operation. */
const REAL_QUOTAS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(OPERATIONS).map(([name, op]) => [name, op.quota]));

/** The endpoint accepts any credentials; these are the ones the project's clients present. */
const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCALKMSENDPOINT', secretAccessKey: 'local-endpoint-secret-key' };

/** Configuration for an AWS SDK client (KMS or Secrets Manager) talking to a local endpoint at `url`. */
export function localClientConfig(url: string, region = 'us-east-1'): { endpoint: string; region: string; credentials: typeof LOCAL_CREDENTIALS } {
  return { endpoint: url, region, credentials: LOCAL_CREDENTIALS };
}

export interface FaultOptions {
  /** Probability that a KMS call fails with KMSInternalException (500) before it takes effect. */
  readonly internalErrorRate?: number;
  /** Probability that the connection is dropped without an answer (half of them after the call took effect). */
  readonly dropRate?: number;
  /** Seed for the fault dice. */
  readonly seed?: number;
}

export interface LocalKmsOptions extends ModelOptions {
  readonly port?: number;
  /** Added to every answer, in milliseconds. */
  readonly latencyMs?: number;
  /** Requests per second by operation; `false` turns throttling off. Default: REAL_QUOTAS. */
  readonly quotas?: Record<string, number> | false;
  readonly faults?: FaultOptions;
  readonly clock?: Clock;
}

export interface CallRecord {
  readonly operation: string;
  /** Wall time, ms. */
  readonly at: number;
  readonly outcome: string;
}

export class LocalKms {
  public readonly model: KmsModel;
  public readonly secrets: SecretsManagerModel;
  public readonly cloudFormation = new CloudFormationModel();
  public readonly cloudWatch: CloudWatchModel;
  public readonly ssm: SsmModel;
  public readonly clock: Clock;
  public readonly calls: CallRecord[] = [];
  public latencyMs: number;
  public faults: FaultOptions;
  /** Operations whose next call is answered by a dropped connection after it took effect (once each). */
  public readonly dropNextAfterEffect = new Set<string>();
  /** Runs before each operation takes effect: how tests play "someone else" acting at that moment. */
  public beforeOperation?: (operation: string, body: Record<string, unknown>) => void;
  private readonly windows = new Map<string, { times: number[]; head: number }>();
  private random: () => number;
  private server?: http.Server;
  private readonly sockets = new Set<import('net').Socket>();

  constructor(private readonly options: LocalKmsOptions = {}) {
    this.clock = options.clock ?? new Clock();
    this.model = new KmsModel(this.clock, options);
    this.secrets = new SecretsManagerModel(this.clock, this.model.accountId, this.model.region);
    this.cloudWatch = new CloudWatchModel(this.clock);
    this.ssm = new SsmModel(this.model.accountId, this.model.region);
    this.latencyMs = options.latencyMs ?? 0;
    this.faults = options.faults ?? {};
    this.random = seededRandom(this.faults.seed ?? 1);
  }

  public get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('LocalKms is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  public async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    return this;
  }

  public async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      if (this.server) this.server.close(() => { resolve(); });
      else resolve();
    });
  }

  /** Sets the fault dice again, e.g. between the phases of a test. */
  public setFaults(faults: FaultOptions): void {
    this.faults = faults;
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** Calls of `operation` (all outcomes), or every call. */
  public count(operation?: string, outcome?: string): number {
    return this.calls.filter((c) => (!operation || c.operation === operation) && (!outcome || c.outcome === outcome)).length;
  }

  /** The largest number of `operation` calls that reached the endpoint in any one-second window, from call `since` on. */
  public peakPerSecond(operation: string, since = 0): number {
    const times = this.calls.slice(since).filter((c) => c.operation === operation).map((c) => c.at);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return peak;
  }

  /** The environment that points the AWS SDK at this endpoint: how the handler finds it. */
  public sdkEnvironment(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_KMS: this.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.url,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.url,
      AWS_ENDPOINT_URL_CLOUDWATCH: this.url,
      AWS_ENDPOINT_URL_SSM: this.url,
      AWS_REGION: this.model.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
  }

  /** Client configuration for this endpoint: how tests, the demo and the bench talk to it directly. */
  public clientConfig(): ReturnType<typeof localClientConfig> {
    return localClientConfig(this.url, this.model.region);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    // JSON protocols name the operation in X-Amz-Target; CloudFormation's query protocol in the form body.
    const target = String(req.headers['x-amz-target'] ?? '');
    const query = target === '' ? new URLSearchParams(raw) : undefined;
    const [service, operation = ''] = query ? ['cloudformation', query.get('Action') ?? ''] : target.split('.');
    const reply = query ? new QueryReply(res, operation) : new JsonReply(res, service === 'GraniteServiceVersion20100801' ? '1.0' : '1.1');
    const record = (outcome: string): void => {
      this.calls.push({ operation, at: Date.now(), outcome });
    };
    const fail = (err: ServiceError): void => {
      record(err.type);
      reply.error(err, `local-${this.calls.length}`);
    };
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const op = Object.prototype.hasOwnProperty.call(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (op?.service !== service) {
      fail(new ServiceError('UnknownOperationException', `Unknown operation ${target || operation}`));
      return;
    }
    if (!this.takeToken(operation)) {
      fail(new ServiceError('ThrottlingException', 'Rate exceeded'));
      return;
    }
    const isKms = service === 'TrentService';
    if (isKms && this.random() < (this.faults.internalErrorRate ?? 0)) {
      fail(new ServiceError('KMSInternalException', 'An internal error occurred.', 500));
      return;
    }
    const dropOnce = this.dropNextAfterEffect.delete(operation);
    const drop = dropOnce || (isKms && this.random() < (this.faults.dropRate ?? 0));
    const dropBefore = !dropOnce && drop && this.random() < 0.5;
    if (dropBefore) {
      record('dropped');
      req.socket.destroy();
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = query ? Object.fromEntries(query) : raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      fail(new ServiceError('SerializationException', 'The request body is not JSON.'));
      return;
    }
    let result: Record<string, unknown>;
    try {
      this.beforeOperation?.(operation, body);
      result = op.run(this, body);
    } catch (err) {
      fail(err instanceof ServiceError ? err : new ServiceError('KMSInternalException', `Local endpoint failure: ${(err as Error).message}`, 500));
      return;
    }
    if (drop) {
      // The call took effect; the caller never hears of it.
      record('dropped-after-effect');
      req.socket.destroy();
      return;
    }
    record('ok');
    reply.ok(result, `local-${this.calls.length}`);
  }

  /** At most `rate` accepted calls of an operation in any one-second window, as the quotas are stated. */
  private takeToken(operation: string): boolean {
    if (this.options.quotas === false) return true;
    const quotas: Record<string, number | undefined> = this.options.quotas ?? REAL_QUOTAS;
    const rate = quotas[operation];
    if (rate === undefined) return true;
    const now = Date.now();
    const window = this.windows.get(operation) ?? { times: [] as number[], head: 0 };
    this.windows.set(operation, window);
    while (window.head < window.times.length && now - window.times[window.head] >= 1000) window.head++;
    if (window.head > 4096) {
      window.times = window.times.slice(window.head);
      window.head = 0;
    }
    if (window.times.length - window.head >= rate) return false;
    window.times.push(now);
    return true;
  }
}

/** An answer in the AWS JSON protocol: 1.1 for KMS and Secrets Manager, 1.0 for CloudWatch. */
class JsonReply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly version: '1.0' | '1.1',
  ) {}

  public ok(result: Record<string, unknown>, requestId: string): void {
    this.send(200, JSON.stringify(result), requestId);
  }

  public error(err: ServiceError, requestId: string): void {
    this.send(err.status, JSON.stringify({ __type: err.type, message: err.message }), requestId, err.type);
  }

  private send(status: number, json: string, requestId: string, errorType?: string): void {
    this.res.writeHead(status, {
      'content-type': `application/x-amz-json-${this.version}`,
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(json),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    this.res.end(json);
  }
}

/** An answer in the AWS query protocol (CloudFormation): XML, lists as <member> elements. */
class QueryReply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly operation: string,
  ) {}

  public ok(result: Record<string, unknown>, requestId: string): void {
    const xml =
      `<${this.operation}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">` +
      `<${this.operation}Result>${toXml(result)}</${this.operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${this.operation}Response>`;
    this.send(200, xml);
  }

  public error(err: ServiceError, requestId: string): void {
    const type = err.status >= 500 ? 'Receiver' : 'Sender';
    this.send(err.status, `<ErrorResponse><Error><Type>${type}</Type><Code>${err.type}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
  }

  private send(status: number, xml: string): void {
    this.res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
    this.res.end(xml);
  }
}

function toXml(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([key, inner]) => `<${key}>${toXml(inner)}</${key}>`).join('');
  }
  return escapeXml(String(value));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  return new LocalKms(options).start();
}
