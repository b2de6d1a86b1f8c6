/**
 * The local AWS endpoint: KMS's JSON 1.1 protocol (`X-Amz-Target: TrentService.*`) and Secrets
 * Manager's (`secretsmanager.*`), and CloudWatch's PutMetricData (JSON 1.0,
 * `GraniteServiceVersion20100801.*`, what the watcher and the credential sync publish) and Parameter
 * Store's GetParameter/PutParameter (`AmazonSSM.*`, where the sync remembers what it applied) over HTTP on loopback, in front of KmsModel, with the account's
 * request quotas, configurable latency and injected faults. Point the AWS SDK at it with
 * AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL_SECRETS_MANAGER (and AWS_ENDPOINT_URL_CLOUDFORMATION for the one
 * CloudFormation call the handler makes, DescribeStacks, answered in CloudFormation's query protocol).
 *
 * Which model answers which operation is in routes.ts, the protocols in wire-formats.ts, the quotas in
 * throttling.ts and the injected faults in faults.ts.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { Clock } from '../clock';
import { CloudFormationModel } from '../services/cloudformation';
import { CloudWatchModel } from '../services/cloudwatch';
import { KmsModel, ModelOptions } from '../services/kms/model';
import { SecretsManagerModel } from '../services/secrets-manager';
import { SsmModel } from '../services/ssm';
import { accessKeyIdOf } from '../services/iam/identities';
import { LOCAL_CREDENTIALS, localClientConfig } from './client-config';
import { FaultDice, FaultOptions } from './faults';
import { EmulatedServices, route } from './routes';
import { ServiceError } from './service-error';
import { RequestQuotas } from './throttling';
import { inputOf, readWireRequest, replyFor } from './wire-formats';

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

export class LocalKms implements EmulatedServices {
  public readonly model: KmsModel;
  public readonly secrets: SecretsManagerModel;
  public readonly cloudFormation = new CloudFormationModel();
  public readonly cloudWatch: CloudWatchModel;
  public readonly ssm: SsmModel;
  public readonly clock: Clock;
  public readonly calls: CallRecord[] = [];
  public latencyMs: number;
  /** Runs before each operation takes effect: how tests play "someone else" acting at that moment. */
  public beforeOperation?: (operation: string, body: Record<string, unknown>) => void;
  private readonly quotas: RequestQuotas;
  private readonly dice: FaultDice;
  private server?: http.Server;
  private readonly sockets = new Set<import('net').Socket>();

  constructor(private readonly options: LocalKmsOptions = {}) {
    this.clock = options.clock ?? new Clock();
    this.model = new KmsModel(this.clock, options);
    this.secrets = new SecretsManagerModel(this.clock, this.model.accountId, this.model.region);
    this.cloudWatch = new CloudWatchModel(this.clock);
    this.ssm = new SsmModel(this.model.accountId, this.model.region, this.clock);
    this.latencyMs = options.latencyMs ?? 0;
    this.quotas = new RequestQuotas(options.quotas);
    this.dice = new FaultDice(options.faults);
  }

  /** Operations whose next call is answered by a dropped connection after it took effect (once each). */
  public get dropNextAfterEffect(): Set<string> {
    return this.dice.dropNextAfterEffect;
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
    this.dice.set(faults);
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
    const request = readWireRequest(String(req.headers['x-amz-target'] ?? ''), raw);
    const { service, operation } = request;
    const reply = replyFor(res, request);
    const record = (outcome: string): void => {
      this.calls.push({ operation, at: Date.now(), outcome });
    };
    const fail = (err: ServiceError): void => {
      record(err.type);
      reply.error(err, `local-${this.calls.length}`);
    };
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const op = route(service, operation);
    if (!op) {
      fail(new ServiceError('UnknownOperationException', `Unknown operation ${request.target || operation}`));
      return;
    }
    if (!this.quotas.take(operation)) {
      fail(new ServiceError('ThrottlingException', 'Rate exceeded'));
      return;
    }
    const fault = this.dice.roll(operation, service === 'TrentService');
    if (fault === 'internal-error') {
      fail(new ServiceError('KMSInternalException', 'An internal error occurred.', 500));
      return;
    }
    if (fault === 'drop-before-effect') {
      record('dropped');
      req.socket.destroy();
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = inputOf(request, raw);
    } catch {
      fail(new ServiceError('SerializationException', 'The request body is not JSON.'));
      return;
    }
    let result: Record<string, unknown>;
    try {
      this.beforeOperation?.(operation, body);
      if (service === 'TrentService') {
        // IAM decides before KMS looks at the request (a denied caller learns nothing of the key).
        this.model.authorize(accessKeyIdOf(req.headers.authorization), operation, body);
      }
      result = op.run(this, body);
    } catch (err) {
      fail(err instanceof ServiceError ? err : new ServiceError('KMSInternalException', `Local endpoint failure: ${(err as Error).message}`, 500));
      return;
    }
    if (fault === 'drop-after-effect') {
      // The call took effect; the caller never hears of it.
      record('dropped-after-effect');
      req.socket.destroy();
      return;
    }
    record('ok');
    reply.ok(result, `local-${this.calls.length}`);
  }
}

export async function startLocalKms(options: LocalKmsOptions = {}): Promise<LocalKms> {
  return new LocalKms(options).start();
}
