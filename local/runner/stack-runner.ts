/**
 * Plays CloudFormation for the custom key stores of one synthesized stack against the local KMS
 * endpoint: deploy (Create, Update with OldResourceProperties, cleanup Deletes, rollback on
 * failure) and destroy, reporting each resource's outcome as a stack event would.
 */
import { randomBytes, randomUUID } from 'crypto';
import { RESOURCE_TYPE } from '../../lib/private/contract/resource-properties';
import { LocalKms } from '../kms-server';
import { findHandlers, keyStoreLogicalIds, readStack, StackArtifact, TemplateResource } from './cloud-assembly';
import { resolve, ResolveContext, stringifyScalars } from './intrinsics';
import { LoadedHandlers, loadHandlers, OperationOutcome, runOperation } from './provider-emulator';

export interface ResourceEvent {
  readonly logicalId: string;
  readonly status: string;
  readonly physicalId?: string;
  readonly reason?: string;
  readonly elapsedMs?: number;
  readonly polls?: number;
}

export interface StackReport {
  readonly stackStatus: string;
  readonly events: ResourceEvent[];
}

export interface StackRunnerOptions {
  readonly kms: LocalKms;
  /** The framework's poll interval; the real one is 10 s. */
  readonly queryIntervalMs?: number;
  readonly totalTimeoutMs?: number;
  /** Secrets the stack imports by name, created in the local Secrets Manager before the first deploy. */
  readonly importedSecrets?: Record<string, string>;
  /** Called with each stack event as it happens, and while waiting. */
  readonly onEvent?: (event: ResourceEvent) => void;
  readonly onPoll?: (logicalId: string, polls: number, elapsedMs: number) => void;
}

interface Deployed {
  physicalId: string;
  properties: Record<string, unknown>;
  data: Record<string, string>;
  deletionPolicy?: string;
}

export class StackRunner {
  /** Every event the Provider would keep in its Step Functions execution history. */
  public readonly history: string[] = [];
  /** Everything the handler logged. */
  public readonly handlerLogs: string[] = [];
  /** Every Reason CloudFormation received. */
  public readonly reasons: string[] = [];
  private readonly deployed = new Map<string, Deployed>();
  private readonly secretArns = new Map<string, string>();
  private handlers?: LoadedHandlers;
  private readonly stackId: string;
  private artifact?: StackArtifact;
  private seeded = false;
  private lastEvent?: Record<string, unknown>;

  constructor(
    public readonly stackName: string,
    private readonly options: StackRunnerOptions,
  ) {
    const model = options.kms.model;
    this.stackId = `arn:aws:cloudformation:${model.region}:${model.accountId}:stack/${stackName}/${randomUUID()}`;
    // The handler finds the endpoint the way it finds AWS: through the SDK's environment.
    Object.assign(process.env, options.kms.sdkEnvironment());
  }

  /** The physical id (store id) of a deployed key store. */
  public physicalId(logicalId: string): string | undefined {
    return this.deployed.get(logicalId)?.physicalId;
  }

  public keyStoreIds(): string[] {
    return [...this.deployed.values()].map((d) => d.physicalId);
  }

  /** Creates or updates the stack to the template in `assemblyDir`. */
  public async deploy(assemblyDir: string): Promise<StackReport> {
    const artifact = readStack(assemblyDir, this.stackName);
    const creating = this.artifact === undefined;
    this.artifact = artifact;
    this.setStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');
    this.seedImportedSecrets();
    this.deploySecrets(artifact);
    const events: ResourceEvent[] = [];
    const ids = keyStoreLogicalIds(artifact.template);
    this.handlers ??= ids.length ? loadHandlers(findHandlers(artifact, ids[0]), (line) => this.handlerLogs.push(line)) : undefined;

    const changes = ids.map((logicalId) => ({ logicalId, resource: artifact.template.Resources[logicalId], properties: this.resolveProperties(artifact.template.Resources[logicalId]) }));
    const applied: Array<{ logicalId: string; before?: Deployed; after: Deployed }> = [];
    const results = await Promise.all(
      changes.map(async ({ logicalId, resource, properties }) => {
        const before = this.deployed.get(logicalId);
        if (before && JSON.stringify(before.properties) === JSON.stringify(properties)) {
          return true;
        }
        const requestType = before ? 'Update' : 'Create';
        this.emit(events, { logicalId, status: before ? 'UPDATE_IN_PROGRESS' : 'CREATE_IN_PROGRESS', physicalId: before?.physicalId });
        const outcome = await this.operation(logicalId, requestType, properties, before);
        const prefix = requestType.toUpperCase();
        if (outcome.status === 'FAILED') {
          this.emit(events, { logicalId, status: `${prefix}_FAILED`, physicalId: outcome.physicalResourceId, reason: outcome.reason, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
          // Rollback covers the failed resource too: a failed Create is deleted, a failed Update
          // is updated back (or, when it had made a replacement, the replacement is deleted).
          applied.push({ logicalId, before, after: { physicalId: outcome.physicalResourceId, properties, data: {}, deletionPolicy: resource.DeletionPolicy } });
          return false;
        }
        const after = { physicalId: outcome.physicalResourceId, properties, data: outcome.data, deletionPolicy: resource.DeletionPolicy };
        this.deployed.set(logicalId, after);
        applied.push({ logicalId, before, after });
        this.emit(events, { logicalId, status: `${prefix}_COMPLETE`, physicalId: after.physicalId, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
        return true;
      }),
    );

    if (results.every(Boolean)) {
      // Cleanup: resources gone from the template, and the old stores of replacements.
      const cleanup: Array<Promise<unknown>> = [];
      for (const [logicalId, d] of [...this.deployed]) {
        if (!ids.includes(logicalId)) {
          cleanup.push(this.deleteResource(logicalId, d, events).then((ok) => ok && this.deployed.delete(logicalId)));
        }
      }
      for (const { logicalId, before, after } of applied) {
        if (before && before.physicalId !== after.physicalId) {
          cleanup.push(this.deleteResource(logicalId, before, events));
        }
      }
      await Promise.all(cleanup);
      return { stackStatus: this.setStatus(creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE'), events };
    }

    // Rollback, as CloudFormation does it; DescribeStacks shows it to the handler.
    const kind = creating ? 'ROLLBACK' : 'UPDATE_ROLLBACK';
    this.setStatus(`${kind}_IN_PROGRESS`);
    const rolledBack = await Promise.all(
      applied.map(async ({ logicalId, before, after }) => {
        if (!before) {
          this.deployed.delete(logicalId);
          return this.deleteResource(logicalId, after, events);
        }
        this.deployed.set(logicalId, before);
        if (before.physicalId !== after.physicalId) {
          return this.deleteResource(logicalId, after, events);
        }
        this.emit(events, { logicalId, status: 'UPDATE_IN_PROGRESS', physicalId: before.physicalId, reason: 'rollback' });
        const outcome = await this.operation(logicalId, 'Update', before.properties, after);
        this.emit(events, { logicalId, status: outcome.status === 'SUCCESS' ? 'UPDATE_COMPLETE' : 'UPDATE_FAILED', physicalId: before.physicalId, reason: outcome.reason });
        return outcome.status === 'SUCCESS';
      }),
    );
    return { stackStatus: this.setStatus(rolledBack.every(Boolean) ? `${kind}_COMPLETE` : `${kind}_FAILED`), events };
  }

  /** Deletes the stack. Resources whose delete fails stay, as in DELETE_FAILED. */
  public async destroy(): Promise<StackReport> {
    const events: ResourceEvent[] = [];
    this.setStatus('DELETE_IN_PROGRESS');
    const results = await Promise.all(
      [...this.deployed].map(async ([logicalId, d]) => {
        const ok = await this.deleteResource(logicalId, d, events);
        if (ok) this.deployed.delete(logicalId);
        return ok;
      }),
    );
    return { stackStatus: this.setStatus(results.every(Boolean) ? 'DELETE_COMPLETE' : 'DELETE_FAILED'), events };
  }

  private async deleteResource(logicalId: string, d: Deployed, events: ResourceEvent[]): Promise<boolean> {
    if (d.deletionPolicy === 'Retain') {
      this.emit(events, { logicalId, status: 'DELETE_SKIPPED', physicalId: d.physicalId });
      return true;
    }
    this.emit(events, { logicalId, status: 'DELETE_IN_PROGRESS', physicalId: d.physicalId });
    const outcome = await this.operation(logicalId, 'Delete', d.properties, d);
    const ok = outcome.status === 'SUCCESS';
    this.emit(events, { logicalId, status: ok ? 'DELETE_COMPLETE' : 'DELETE_FAILED', physicalId: d.physicalId, reason: outcome.reason, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
    return ok;
  }

  /** Sends the last event again, unchanged (same RequestId), as a retried delivery would. */
  public async replayLastEvent(): Promise<OperationOutcome> {
    if (!this.handlers || !this.lastEvent) throw new Error('No event to replay');
    return runOperation(this.handlers, this.lastEvent, { queryIntervalMs: this.options.queryIntervalMs ?? 50, totalTimeoutMs: this.options.totalTimeoutMs ?? 3_600_000, record: (e) => this.history.push(e) });
  }

  private async operation(logicalId: string, requestType: string, properties: Record<string, unknown>, current?: Deployed): Promise<OperationOutcome> {
    if (!this.handlers) throw new Error('No custom key store handler was found in the template');
    const event: Record<string, unknown> = {
      RequestType: requestType,
      ServiceToken: properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response.local/',
      StackId: this.stackId,
      RequestId: randomUUID(),
      LogicalResourceId: logicalId,
      ResourceType: RESOURCE_TYPE,
      ResourceProperties: requestType === 'Delete' ? current?.properties ?? properties : properties,
      ...(current ? { PhysicalResourceId: current.physicalId } : {}),
      ...(requestType === 'Update' && current ? { OldResourceProperties: current.properties } : {}),
    };
    this.lastEvent = event;
    const outcome = await runOperation(this.handlers, event, {
      queryIntervalMs: this.options.queryIntervalMs ?? 50,
      totalTimeoutMs: this.options.totalTimeoutMs ?? 60 * 60 * 1000,
      record: (e) => this.history.push(e),
      onPoll: (polls, elapsed) => this.options.onPoll?.(logicalId, polls, elapsed),
    });
    if (outcome.reason) this.reasons.push(outcome.reason);
    return outcome;
  }

  private resolveProperties(resource: TemplateResource): Record<string, unknown> {
    const model = this.options.kms.model;
    const ctx: ResolveContext = {
      accountId: model.accountId,
      region: model.region,
      stackId: this.stackId,
      stackName: this.stackName,
      physicalIds: new Map([...this.secretArns, ...[...this.deployed].map(([id, d]) => [id, d.physicalId] as [string, string])]),
      attributes: new Map([...this.deployed].map(([id, d]) => [id, d.data])),
    };
    return stringifyScalars(resolve(resource.Properties ?? {}, ctx)) as Record<string, unknown>;
  }

  private seedImportedSecrets(): void {
    if (this.seeded) return;
    this.seeded = true;
    for (const [name, value] of Object.entries(this.options.importedSecrets ?? {})) {
      this.options.kms.secrets.CreateSecret({ Name: name, SecretString: value });
    }
  }

  /** AWS::SecretsManager::Secret resources: created once with a generated value, as CloudFormation does. */
  private deploySecrets(artifact: StackArtifact): void {
    for (const [logicalId, resource] of Object.entries(artifact.template.Resources)) {
      if (resource.Type !== 'AWS::SecretsManager::Secret' || this.secretArns.has(logicalId)) continue;
      const props = resource.Properties ?? {};
      const value = typeof props.SecretString === 'string' ? props.SecretString : generateSecretString(props.GenerateSecretString as GenerateSecretString | undefined);
      const name = typeof props.Name === 'string' ? props.Name : `${logicalId}-${randomBytes(6).toString('hex')}`;
      const created = this.options.kms.secrets.CreateSecret({ Name: name, SecretString: value });
      this.secretArns.set(logicalId, created.ARN as string);
    }
  }

  private setStatus(status: string): string {
    this.options.kms.cloudFormation.setStackStatus(this.stackId, this.stackName, status);
    return status;
  }

  private emit(events: ResourceEvent[], event: ResourceEvent): void {
    events.push(event);
    this.options.onEvent?.(event);
  }
}

interface GenerateSecretString {
  readonly PasswordLength?: number;
  readonly ExcludePunctuation?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

/** What Secrets Manager's GenerateSecretString makes, for the options CDK apps use most. */
function generateSecretString(spec: GenerateSecretString | undefined): string {
  const length = spec?.PasswordLength ?? 32;
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${spec?.ExcludePunctuation ? '' : '!#$%&()*+,-.:;<=>?@[]^_{|}~'}`;
  const bytes = randomBytes(length);
  const password = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  if (spec?.SecretStringTemplate && spec.GenerateStringKey) {
    return JSON.stringify({ ...(JSON.parse(spec.SecretStringTemplate) as object), [spec.GenerateStringKey]: password });
  }
  return password;
}
