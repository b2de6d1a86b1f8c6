import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { NO_VERSION_APPLIED, SYNC_TARGETS_ENV, SyncTarget } from '../contract/operations-metrics';
import { OperationsFunction } from './operations-function';
import { stackSingleton } from '../stack-singleton';

/** The scheduled comparison behind the event path: Secrets Manager's events are delivered on a best-effort basis. */
export const SYNC_INTERVAL = Duration.minutes(5);

const SYNC_ID = 'KmsCustomKeyStoreProxyCredentialSync';

/**
 * The stack's proxy credential sync, made on first use: one function for all of the stack's
 * external key stores whose credential follows its secret. It runs when Secrets Manager reports a
 * new AWSCURRENT version of one of their secrets ("Secret Label Updated", sent without CloudTrail)
 * and every five minutes, which catches up a lost event, a failed run or a store that was busy.
 */
export class ProxyCredentialSync extends Construct {
  public static of(scope: Construct): ProxyCredentialSync {
    return stackSingleton(scope, SYNC_ID, (c): c is ProxyCredentialSync => c instanceof ProxyCredentialSync, (stack, id) => new ProxyCredentialSync(stack, id));
  }

  public readonly handler: OperationsFunction;
  private readonly targets: SyncTarget[] = [];
  private readonly target: targets.LambdaFunction;
  private readonly secrets = new Set<secretsmanager.ISecret>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.handler = new OperationsFunction(this, 'Handler', 'proxy-credential-sync', 'Gives KMS the current XKS proxy credential of each external key store of the stack (KMS custom key store credential sync)');
    const stack = Stack.of(this);
    this.handler.function.addEnvironment(SYNC_TARGETS_ENV, Lazy.string({ produce: () => stack.toJsonString(this.targets) }));
    this.target = new targets.LambdaFunction(this.handler.function, { retryAttempts: 2 });
    new events.Rule(this, 'Schedule', { description: 'Compares the XKS proxy credentials KMS holds with their secrets', schedule: events.Schedule.rate(SYNC_INTERVAL), targets: [this.target] });
    this.handler.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UpdateProxyCredentials',
        // KMS has no narrower resource or condition for it: the role could change any setting of
        // any custom key store of the account; the function sends only XksProxyAuthenticationCredential.
        actions: ['kms:UpdateCustomKeyStore'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account } },
      }),
    );
  }

  /**
   * Makes the proxy credential of `store` (whose id is `storeId`) follow `secret`. The store gets
   * a parameter in which the sync remembers the secret version KMS has.
   */
  public sync(store: Construct, storeId: string, secret: secretsmanager.ISecret): void {
    const state = new ssm.StringParameter(store, 'ProxyCredentialSyncState', {
      description: `The version of the proxy credential secret that the credential sync last gave KMS for custom key store ${store.node.path} (written by the sync)`,
      stringValue: NO_VERSION_APPLIED,
    });
    // The two calls the sync makes, on this parameter only (grantRead and grantWrite would add
    // DescribeParameters and GetParameterHistory, which it does not use).
    this.handler.role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:PutParameter'], resources: [state.parameterArn] }));
    this.targets.push({ storeId, secretArn: secret.secretArn, stateParameter: state.parameterName });
    if (!this.secrets.has(secret)) {
      this.secrets.add(secret);
      secret.grantRead(this.handler.role);
      // The event names the secret by its full ARN (resources) and its name (detail.name). A secret
      // imported by name has no full ARN, and a prefix of its partial ARN would also match other
      // secrets whose names begin with this one's: match the name instead.
      const which = secret.secretFullArn ? { resources: [secret.secretFullArn] } : { detail: { labelUpdated: ['AWSCURRENT'], name: [secret.secretName] } };
      // Named after the secret construct (a short, stable part of its address), not after its place in a list.
      new events.Rule(this, `SecretRotated${secret.node.addr.slice(2, 10)}`, {
        description: 'Gives KMS an XKS proxy credential as soon as its secret has a new current version',
        eventPattern: { source: ['aws.secretsmanager'], detailType: ['Secret Label Updated'], detail: { labelUpdated: ['AWSCURRENT'] }, ...which },
        targets: [this.target],
      });
    }
  }
}
