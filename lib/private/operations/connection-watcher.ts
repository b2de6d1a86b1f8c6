import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DECLARED_CONFIGURATION_PATH_ENV, DeclaredKey, DeclaredStore, PROBE_KEYS_ENV, WATCHED_STORES_ENV } from '../contract/operations-metrics';
import { declarationParameter, declaredConfigurationPath } from './declared-configuration';
import { OperationsFunction } from './operations-function';
import { stackSingleton } from '../stack-singleton';

/** How often the watcher reads the stores: one DescribeCustomKeyStores call a run, whatever the number of stores. */
export const WATCH_INTERVAL = Duration.minutes(1);

const WATCHER_ID = 'KmsCustomKeyStoreConnectionWatcher';

/**
 * The stack's connection watcher, made on first use: one scheduled function for all the stack's
 * watched stores, so that ten stores still cost one DescribeCustomKeyStores call a minute.
 */
export class ConnectionWatcher extends Construct {
  public static of(scope: Construct): ConnectionWatcher {
    return stackSingleton(scope, WATCHER_ID, (c): c is ConnectionWatcher => c instanceof ConnectionWatcher, (stack, id) => new ConnectionWatcher(stack, id));
  }

  public readonly handler: OperationsFunction;
  private readonly storeIds: string[] = [];
  private readonly probeKeys: Record<string, string> = {};
  private probesInClusters = false;
  private declarationsRead = false;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.handler = new OperationsFunction(this, 'Handler', 'connection-watcher', 'Publishes whether each custom key store of the stack is connected (KMS custom key store connection watcher)');
    const stack = Stack.of(this);
    // Lazy: stores that ask to be watched after this point are in the list too.
    this.handler.function.addEnvironment(WATCHED_STORES_ENV, Lazy.string({ produce: () => stack.toJsonString(this.storeIds) }));
    new events.Rule(this, 'Schedule', {
      description: 'Runs the KMS custom key store connection watcher',
      schedule: events.Schedule.rate(WATCH_INTERVAL),
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 0 })],
    });
  }

  /**
   * Adds a store (by its id, a token at synth time) to those watched; once each. A CloudHSM key
   * store is probed with GenerateRandom in its cluster, which needs kms:GenerateRandom.
   */
  public watch(storeId: string, cloudHsm: boolean): void {
    if (!this.storeIds.includes(storeId)) {
      this.storeIds.push(storeId);
    }
    if (cloudHsm && !this.probesInClusters) {
      this.probesInClusters = true;
      // GenerateRandom has no resource-level permission (it uses no key): "*" is the only resource it takes.
      this.handler.role.addToPolicy(new iam.PolicyStatement({ sid: 'ProbeCloudHsmKeyStores', actions: ['kms:GenerateRandom'], resources: ['*'] }));
    }
  }

  /**
   * Writes what the stack declares of a watched store, or of a key in one, where the watcher reads
   * it each run to report configuration drift. A key is read with DescribeKey: kms:DescribeKey on
   * that key only.
   */
  public declare(owner: Construct, declared: DeclaredStore | DeclaredKey, key?: kms.IKey): void {
    if (!this.declarationsRead) {
      this.declarationsRead = true;
      // Added with the first declaration, so that a stack without a watched store keeps its template.
      const path = declaredConfigurationPath(this);
      this.handler.function.addEnvironment(DECLARED_CONFIGURATION_PATH_ENV, path);
      // GetParametersByPath authorizes on the path itself: this stack's declarations and nothing else.
      this.handler.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadDeclaredConfiguration',
          actions: ['ssm:GetParametersByPath'],
          resources: [Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: path.slice(1) })],
        }),
      );
    }
    declarationParameter(owner, declared);
    key?.grant(this.handler.role, 'kms:DescribeKey');
  }

  /** Probes an external key store with Encrypt under `key` each run: kms:Encrypt on that key only. */
  public probeWith(storeId: string, key: kms.IKey): void {
    if (Object.keys(this.probeKeys).length === 0) {
      // Added with the first probe key, so that a stack without one keeps its template.
      const stack = Stack.of(this);
      this.handler.function.addEnvironment(PROBE_KEYS_ENV, Lazy.string({ produce: () => stack.toJsonString(this.probeKeys) }));
    }
    this.probeKeys[storeId] = key.keyArn;
    key.grant(this.handler.role, 'kms:Encrypt');
  }
}
