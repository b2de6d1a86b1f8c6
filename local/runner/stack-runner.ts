/**
 * Plays CloudFormation for the custom key stores, and the KMS keys in them, of one synthesized
 * stack against the local KMS endpoint: deploy (Create, Update with OldResourceProperties, cleanup
 * Deletes, rollback on failure) and destroy, in dependency order (Ref, Fn::GetAtt, DependsOn),
 * honouring DeletionPolicy Retain and RetainExceptOnCreate and UpdateReplacePolicy Retain, and reporting each resource's outcome as a stack event would.
 */
import { randomBytes, randomUUID } from 'crypto';
import { KEY_RESOURCE_TYPE } from '../../lib/private/contract/key-properties';
import { RESOURCE_TYPE } from '../../lib/private/contract/store-properties';
import { LocalKms } from '../endpoint/server';
import { creationWaves, customResourceLogicalIds, dependenciesAmong, findHandlers, readStack, roleOf, roleStatements, StackArtifact, TemplateResource } from './cloud-assembly';
import * as path from 'path';
import { EventPattern, matchesPattern, ruleTargets } from './event-rules';
import { resolve, ResolveContext, stringifyScalars } from './intrinsics';
import { LoadedHandlers, loadHandlers, loadModule, OperationOutcome, runOperation } from './provider-emulator';
import { resolveSecretReferences } from './dynamic-references';
import { Statement } from '../services/iam/policy-evaluation';

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
  updateReplacePolicy?: string;
  resourceType: string;
  /** The logical ids of the custom resources it refers to (Ref, Fn::GetAtt, DependsOn). */
  dependsOn: string[];
}

export class StackRunner {
  /** Every event the Provider would keep in its Step Functions execution history. */
  public readonly history: string[] = [];
  /** Everything the handler logged. */
  public readonly handlerLogs: string[] = [];
  /** Every Reason CloudFormation received. */
  public readonly reasons: string[] = [];
  /** Everything the stack's other functions (the watcher, the credential sync) logged. */
  public readonly functionLogs: string[] = [];
  /** Function logical id -> its module and the environment it currently runs with. */
  private readonly functions = new Map<string, { exports: Record<string, unknown>; env: Record<string, string | undefined> }>();
  private readonly deployed = new Map<string, Deployed>();
  /** Physical ids of the plain resources the runner plays (secrets' ARNs, parameters' names), for Ref. */
  private readonly playedPhysicalIds = new Map<string, string>();
  /** Attributes of the plain resources the runner plays (a role's Arn), for Fn::GetAtt. */
  private readonly playedAttributes = new Map<string, Record<string, string>>();
  /** What each played AWS::SSM::Parameter resolved to in the template last time (JSON). */
  private readonly parameterValues = new Map<string, string>();
  /** The access key id the functions of each role sign with (the KMS model authorizes them by the role's policies). */
  private readonly roleAccessKeys = new Map<string, string>();
  private handlers?: LoadedHandlers;
  private stackId: string;
  private status?: string;
  private artifact?: StackArtifact;
  private seeded = false;
  private lastEvent?: Record<string, unknown>;

  constructor(
    public readonly stackName: string,
    private readonly options: StackRunnerOptions,
  ) {
    this.stackId = this.newStackId();
    // The handler finds the endpoint the way it finds AWS: through the SDK's environment.
    Object.assign(process.env, options.kms.sdkEnvironment());
  }

  /** The physical id (store id) of a deployed key store. */
  public physicalId(logicalId: string): string | undefined {
    return this.deployed.get(logicalId)?.physicalId;
  }

  public keyStoreIds(): string[] {
    return [...this.deployed.values()].filter((d) => d.resourceType === RESOURCE_TYPE).map((d) => d.physicalId);
  }

  /** The logical ids of the deployed custom resources. */
  public logicalIds(): string[] {
    return [...this.deployed.keys()];
  }

  /** The key ids of the deployed KMS keys (CustomKeyStoreKey). */
  public keyIds(): string[] {
    return [...this.deployed.values()].filter((d) => d.resourceType === KEY_RESOURCE_TYPE).map((d) => d.physicalId);
  }

  /** A deployed resource's Data (Fn::GetAtt attributes), e.g. a key's Arn. */
  public attributes(logicalId: string): Record<string, string> | undefined {
    return this.deployed.get(logicalId)?.data;
  }

  /**
   * Creates or updates the stack to the template in `assemblyDir`. A stack in ROLLBACK_COMPLETE can
   * only be deleted: the CDK CLI deletes it and creates the stack again, under a new stack id.
   */
  public async deploy(assemblyDir: string): Promise<StackReport> {
    if (this.status === 'ROLLBACK_COMPLETE') {
      this.artifact = undefined;
      this.stackId = this.newStackId();
    }
    const artifact = readStack(assemblyDir, this.stackName);
    const creating = this.artifact === undefined;
    this.artifact = artifact;
    this.setStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');
    this.seedImportedSecrets();
    this.deploySecrets(artifact);
    this.deployParameters(artifact);
    this.deployRoles(artifact);
    const events: ResourceEvent[] = [];
    const ids = customResourceLogicalIds(artifact.template);
    this.handlers ??= ids.length ? loadHandlers(findHandlers(artifact, ids[0]), (line) => this.handlerLogs.push(line), (location) => this.credentialsOf(location.roleLogicalId)) : undefined;
    const dependencies = dependenciesAmong(artifact.template, ids);

    // CloudFormation's order: a resource after those it refers to; independent ones at once.
    const applied: Array<{ logicalId: string; wave: number; before?: Deployed; after: Deployed }> = [];
    const waves = creationWaves(ids, dependencies);
    let succeeded = true;
    for (const [wave, waveIds] of waves.entries()) {
      const results = await Promise.all(
        waveIds.map(async (logicalId) => {
          const resource = artifact.template.Resources[logicalId];
          const properties = this.resolveProperties(resource);
          const before = this.deployed.get(logicalId);
          const describe = (physicalId: string, data: Record<string, string>): Deployed => ({
            physicalId,
            properties,
            data,
            deletionPolicy: resource.DeletionPolicy,
            updateReplacePolicy: resource.UpdateReplacePolicy,
            resourceType: resource.Type,
            dependsOn: dependencies.get(logicalId) ?? [],
          });
          if (before && JSON.stringify(before.properties) === JSON.stringify(properties)) {
            // Only the DeletionPolicy (or nothing) changed: CloudFormation records it without calling the handler.
            this.deployed.set(logicalId, { ...before, deletionPolicy: resource.DeletionPolicy, updateReplacePolicy: resource.UpdateReplacePolicy });
            return true;
          }
          const requestType = before ? 'Update' : 'Create';
          this.emit(events, { logicalId, status: before ? 'UPDATE_IN_PROGRESS' : 'CREATE_IN_PROGRESS', physicalId: before?.physicalId });
          const outcome = await this.operation(logicalId, requestType, properties, before, resource.Type);
          const prefix = requestType.toUpperCase();
          if (outcome.status === 'FAILED') {
            this.emit(events, { logicalId, status: `${prefix}_FAILED`, physicalId: outcome.physicalResourceId, reason: outcome.reason, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
            // Rollback covers the failed resource too: a failed Create is deleted, a failed Update
            // is updated back (or, when it had made a replacement, the replacement is deleted).
            applied.push({ logicalId, wave, before, after: describe(outcome.physicalResourceId, {}) });
            return false;
          }
          const after = describe(outcome.physicalResourceId, outcome.data);
          this.deployed.set(logicalId, after);
          applied.push({ logicalId, wave, before, after });
          this.emit(events, { logicalId, status: `${prefix}_COMPLETE`, physicalId: after.physicalId, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
          return true;
        }),
      );
      if (!results.every(Boolean)) {
        succeeded = false;
        break;
      }
    }

    if (succeeded) {
      this.deployParameters(artifact);
      // Cleanup: resources gone from the template, and the old physical resources of replacements,
      // dependents before what they depend on.
      const removed = [...this.deployed].filter(([logicalId]) => !ids.includes(logicalId)).map(([logicalId, d]) => ({ logicalId, d }));
      if (!creating) this.setStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      const replaced = applied.flatMap(({ logicalId, before, after }) => (before && before.physicalId !== after.physicalId ? [{ logicalId, d: before }] : []));
      const results = await this.deleteInOrder([...removed, ...replaced.map((r) => ({ ...r, replaced: true }))], events);
      removed.forEach(({ logicalId }, i) => {
        if (results[i]) this.deployed.delete(logicalId);
      });
      return { stackStatus: this.setStatus(creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE'), events };
    }

    // Rollback, as CloudFormation does it: the latest wave first; DescribeStacks shows it to the handler.
    const kind = creating ? 'ROLLBACK' : 'UPDATE_ROLLBACK';
    this.setStatus(`${kind}_IN_PROGRESS`);
    const rolledBack: boolean[] = [];
    for (let wave = waves.length - 1; wave >= 0; wave--) {
      const results = await Promise.all(
        applied
          .filter((a) => a.wave === wave)
          .map(async ({ logicalId, before, after }) => {
            // What this operation created is deleted even under RetainExceptOnCreate.
            if (!before) {
              this.deployed.delete(logicalId);
              return this.deleteResource(logicalId, after, events, 'created');
            }
            this.deployed.set(logicalId, before);
            if (before.physicalId !== after.physicalId) {
              return this.deleteResource(logicalId, after, events, 'created');
            }
            this.emit(events, { logicalId, status: 'UPDATE_IN_PROGRESS', physicalId: before.physicalId, reason: 'rollback' });
            const outcome = await this.operation(logicalId, 'Update', before.properties, after, before.resourceType);
            this.emit(events, { logicalId, status: outcome.status === 'SUCCESS' ? 'UPDATE_COMPLETE' : 'UPDATE_FAILED', physicalId: before.physicalId, reason: outcome.reason });
            return outcome.status === 'SUCCESS';
          }),
      );
      rolledBack.push(...results);
    }
    return { stackStatus: this.setStatus(rolledBack.every(Boolean) ? `${kind}_COMPLETE` : `${kind}_FAILED`), events };
  }

  /** Deletes the stack. Resources whose delete fails stay, as in DELETE_FAILED, and so do those they depend on. */
  public async destroy(): Promise<StackReport> {
    const events: ResourceEvent[] = [];
    this.setStatus('DELETE_IN_PROGRESS');
    const entries = [...this.deployed].map(([logicalId, d]) => ({ logicalId, d }));
    const results = await this.deleteInOrder(entries, events);
    entries.forEach(({ logicalId }, i) => {
      if (results[i]) this.deployed.delete(logicalId);
    });
    return { stackStatus: this.setStatus(results.every(Boolean) ? 'DELETE_COMPLETE' : 'DELETE_FAILED'), events };
  }

  /**
   * Deletes `entries` as CloudFormation does: a resource only after everything in the set that
   * depends on it is gone, independent ones at once; what a failed delete depends on is not tried.
   */
  private async deleteInOrder(entries: Array<{ logicalId: string; d: Deployed; replaced?: boolean }>, events: ResourceEvent[]): Promise<boolean[]> {
    const results = entries.map(() => false);
    const pending = new Set(entries.keys());
    const stuck = new Set<number>();
    const dependsOn = (i: number, j: number): boolean => i !== j && entries[i].d.dependsOn.includes(entries[j].logicalId);
    for (;;) {
      const ready = [...pending].filter((j) => ![...pending, ...stuck].some((i) => dependsOn(i, j)));
      if (ready.length === 0) break;
      const oks = await Promise.all(ready.map(async (i) => this.deleteResource(entries[i].logicalId, entries[i].d, events, entries[i].replaced ? 'replaced' : 'removed')));
      ready.forEach((i, n) => {
        pending.delete(i);
        results[i] = oks[n];
        if (!oks[n]) stuck.add(i);
      });
    }
    return results;
  }

  /**
   * `created`: the rollback of the operation that created it, where RetainExceptOnCreate deletes;
   * `replaced`: the old physical resource of a replacement, kept by UpdateReplacePolicy Retain.
   */
  private async deleteResource(logicalId: string, d: Deployed, events: ResourceEvent[], why: 'created' | 'replaced' | 'removed'): Promise<boolean> {
    const retained = why === 'replaced' ? d.updateReplacePolicy === 'Retain' : d.deletionPolicy === 'Retain' || (d.deletionPolicy === 'RetainExceptOnCreate' && why !== 'created');
    if (retained) {
      this.emit(events, { logicalId, status: 'DELETE_SKIPPED', physicalId: d.physicalId });
      return true;
    }
    this.emit(events, { logicalId, status: 'DELETE_IN_PROGRESS', physicalId: d.physicalId });
    const outcome = await this.operation(logicalId, 'Delete', d.properties, d);
    const ok = outcome.status === 'SUCCESS';
    this.emit(events, { logicalId, status: ok ? 'DELETE_COMPLETE' : 'DELETE_FAILED', physicalId: d.physicalId, reason: outcome.reason, elapsedMs: outcome.elapsedMs, polls: outcome.polls });
    return ok;
  }

  /**
   * Plays EventBridge's default bus: invokes the target functions of every rule of the stack whose
   * event pattern matches `event`, one after another. Returns what each invocation returned.
   */
  public async deliverEvent(event: Record<string, unknown>): Promise<unknown[]> {
    const rules = this.rules().filter(([, rule]) => rule.Properties?.EventPattern !== undefined);
    const matching = rules.filter(([, rule]) => matchesPattern(this.resolveValue(rule.Properties?.EventPattern) as EventPattern, event));
    return this.invokeTargets(matching.map(([, rule]) => rule), event);
  }

  /** Plays EventBridge's schedules: one run of every scheduled rule's targets (as when each rate comes round). */
  public async runSchedules(): Promise<unknown[]> {
    const scheduled = this.rules().filter(([, rule]) => rule.Properties?.ScheduleExpression !== undefined);
    return this.invokeTargets(
      scheduled.map(([, rule]) => rule),
      { 'detail-type': 'Scheduled Event', source: 'aws.events' },
    );
  }

  /** The stack's rules; logical id order, as a reader would list them. */
  private rules(): Array<[string, TemplateResource]> {
    if (!this.artifact) throw new Error('Deploy the stack first');
    return Object.entries(this.artifact.template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties?.State !== 'DISABLED');
  }

  private async invokeTargets(rules: TemplateResource[], event: Record<string, unknown>): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const functionId of rules.flatMap(ruleTargets)) {
      results.push(await this.invoke(functionId, event));
    }
    return results;
  }

  /** Runs a function of the stack as Lambda would: its bundled code, its resolved environment (and the SDK's, which points at the local endpoint). */
  public async invoke(functionId: string, event: Record<string, unknown>): Promise<unknown> {
    const artifact = this.artifact;
    const resource = artifact?.template.Resources[functionId];
    const props = resource?.Properties as { Handler?: string; Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, unknown> } } | undefined;
    const dir = props?.Code?.S3Key ? artifact?.assetDirs.get(props.Code.S3Key.replace(/\.zip$/, '')) : undefined;
    if (!resource || resource.Type !== 'AWS::Lambda::Function' || !props?.Handler || !dir) {
      throw new Error(`${functionId} is not a Lambda function with a bundled asset in this stack`);
    }
    const [moduleName, exportName] = props.Handler.split('.');
    const env = { ...process.env, ...this.credentialsOf(roleOf(artifact.template, functionId)), ...(this.resolveValue(props.Environment?.Variables ?? {}) as Record<string, string>) };
    let loaded = this.functions.get(functionId);
    if (!loaded) {
      // One module per function, kept between invocations as a warm Lambda container keeps it; the
      // environment is read through `process.env`, which follows each deployment's variables.
      const holder = { exports: {} as Record<string, unknown>, env };
      const proc = Object.create(process, { env: { get: () => holder.env } }) as NodeJS.Process;
      holder.exports = loadModule(path.join(dir, `${moduleName}.js`), (line) => this.functionLogs.push(line), proc);
      loaded = holder;
      this.functions.set(functionId, loaded);
    }
    loaded.env = env;
    const fn = loaded.exports[exportName];
    if (typeof fn !== 'function') throw new Error(`${functionId}: ${props.Handler} is not exported`);
    return (fn as (e: unknown) => Promise<unknown>)(event);
  }

  /** Sends the last event again, unchanged (same RequestId), as a retried delivery would. */
  public async replayLastEvent(): Promise<OperationOutcome> {
    if (!this.handlers || !this.lastEvent) throw new Error('No event to replay');
    return runOperation(this.handlers, this.lastEvent, { queryIntervalMs: this.options.queryIntervalMs ?? 50, totalTimeoutMs: this.options.totalTimeoutMs ?? 3_600_000, record: (e) => this.history.push(e) });
  }

  private async operation(logicalId: string, requestType: string, properties: Record<string, unknown>, current?: Deployed, resourceType = current?.resourceType ?? RESOURCE_TYPE): Promise<OperationOutcome> {
    if (!this.handlers) throw new Error('No custom key store handler was found in the template');
    const event: Record<string, unknown> = {
      RequestType: requestType,
      ServiceToken: properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response.local/',
      StackId: this.stackId,
      RequestId: randomUUID(),
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
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
    return stringifyScalars(this.resolveValue(resource.Properties ?? {})) as Record<string, unknown>;
  }

  /** Resolves intrinsics against what is deployed now. */
  private resolveValue(value: unknown): unknown {
    const model = this.options.kms.model;
    const ctx: ResolveContext = {
      accountId: model.accountId,
      region: model.region,
      stackId: this.stackId,
      stackName: this.stackName,
      physicalIds: new Map([...this.playedPhysicalIds, ...[...this.deployed].map(([id, d]) => [id, d.physicalId] as [string, string])]),
      attributes: new Map([...this.deployed].map(([id, d]) => [id, d.data])),
      playedAttributes: this.playedAttributes,
    };
    return resolve(value, ctx);
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
      if (resource.Type !== 'AWS::SecretsManager::Secret' || this.playedPhysicalIds.has(logicalId)) continue;
      const props = resource.Properties ?? {};
      const value = typeof props.SecretString === 'string' ? props.SecretString : generateSecretString(props.GenerateSecretString as GenerateSecretString | undefined);
      const name = typeof props.Name === 'string' ? props.Name : `${logicalId}-${randomBytes(6).toString('hex')}`;
      const created = this.options.kms.secrets.CreateSecret({ Name: name, SecretString: value });
      this.playedPhysicalIds.set(logicalId, created.ARN as string);
    }
  }

  /**
   * AWS::SSM::Parameter resources: created with their template value (a name CloudFormation makes
   * up when none is given), and updated when the value the template resolves to changed (a value
   * the function wrote since is kept while the template's is the same). A value that refers to a
   * custom resource not deployed yet waits for the second call, after the custom resources, as
   * CloudFormation creates a resource after those it refers to.
   */
  private deployParameters(artifact: StackArtifact): void {
    for (const [logicalId, resource] of Object.entries(artifact.template.Resources)) {
      if (resource.Type !== 'AWS::SSM::Parameter') continue;
      const props = resource.Properties ?? {};
      let value: unknown;
      try {
        value = this.resolveValue(props.Value);
      } catch {
        continue;
      }
      if (typeof value === 'string') value = resolveSecretReferences(value, this.options.kms.secrets);
      const played = this.playedPhysicalIds.get(logicalId);
      if (played !== undefined && this.parameterValues.get(logicalId) === JSON.stringify(value)) continue;
      const name = played ?? (typeof props.Name === 'string' ? props.Name : `CFN-${logicalId}-${randomBytes(6).toString('hex')}`);
      this.options.kms.ssm.PutParameter({ Name: name, Value: value, Type: props.Type, Overwrite: played !== undefined });
      this.playedPhysicalIds.set(logicalId, name);
      this.parameterValues.set(logicalId, JSON.stringify(value));
    }
  }

  /**
   * AWS::IAM::Role resources: created once, at the start, as CloudFormation creates what depends on
   * nothing first. The KMS model learns of each at that moment: a key policy naming it is refused
   * until the principal is visible to KMS (principalVisibilityLagMs).
   */
  private deployRoles(artifact: StackArtifact): void {
    const { accountId } = this.options.kms.model;
    for (const [logicalId, resource] of Object.entries(artifact.template.Resources)) {
      if (resource.Type !== 'AWS::IAM::Role' || this.playedPhysicalIds.has(logicalId)) continue;
      const props = resource.Properties ?? {};
      // CloudFormation's generated name: stack name, logical id and a random suffix, 64 characters at most.
      const name = typeof props.RoleName === 'string' ? props.RoleName : `${this.stackName}-${logicalId}`.slice(0, 51) + `-${randomBytes(6).toString('hex').toUpperCase()}`;
      const rolePath = typeof props.Path === 'string' ? props.Path : '/';
      const arn = `arn:aws:iam::${accountId}:role${rolePath}${name}`;
      this.options.kms.model.registerPrincipal(arn);
      this.roleAccessKeys.set(logicalId, this.options.kms.model.registerIdentity({ roleArn: arn, statements: () => this.statementsOf(logicalId) }));
      this.playedPhysicalIds.set(logicalId, name);
      this.playedAttributes.set(logicalId, { Arn: arn });
    }
  }

  /** The environment that makes a function of `roleLogicalId` sign as that role; nothing for a role the stack does not make. */
  private credentialsOf(roleLogicalId: string | undefined): Record<string, string> {
    const accessKeyId = roleLogicalId === undefined ? undefined : this.roleAccessKeys.get(roleLogicalId);
    return accessKeyId ? { AWS_ACCESS_KEY_ID: accessKeyId } : {};
  }

  /**
   * The role's policy statements as IAM holds them now: those of the template being deployed, with
   * their intrinsics resolved against what exists. A statement that names a resource not made yet
   * cannot grant anything yet, and is left out.
   */
  private statementsOf(roleLogicalId: string): Statement[] {
    const template = this.artifact?.template;
    if (!template) return [];
    return roleStatements(template, roleLogicalId).flatMap((statement) => {
      try {
        return [this.resolveValue(statement) as Statement];
      } catch {
        return [];
      }
    });
  }

  private newStackId(): string {
    const model = this.options.kms.model;
    return `arn:aws:cloudformation:${model.region}:${model.accountId}:stack/${this.stackName}/${randomUUID()}`;
  }

  private setStatus(status: string): string {
    this.status = status;
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
