import { CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { HEARTBEAT_PARAMETER, REGISTRY_PATH } from '../contract/deferred-deletion';
import { ADOPTION_RECORD_PREFIX } from '../contract/store-properties';
import { handlerAssetDir } from '../handler-asset';
import { stackSingleton } from '../stack-singleton';

/** How often the framework calls isComplete: DescribeCustomKeyStores allows 5 calls/s per account. */
const QUERY_INTERVAL = Duration.seconds(10);
/** The framework's own limit, CloudFormation's limit for a custom resource; each store's waitTimeout is shorter. */
const TOTAL_TIMEOUT = Duration.hours(1);

const PROVIDER_ID = 'KmsCustomKeyStoreProvider';

/**
 * The one custom resource provider a stack's custom key stores share: two handler functions
 * with one role, and aws-cdk-lib's Provider framework that polls isComplete.
 */
export class KeyStoreProvider extends Construct {
  /** The stack's provider, made on first use. */
  public static of(scope: Construct): KeyStoreProvider {
    return stackSingleton(scope, PROVIDER_ID, (c): c is KeyStoreProvider => c instanceof KeyStoreProvider, (stack, id) => new KeyStoreProvider(stack, id));
  }

  public readonly serviceToken: string;
  public readonly role: iam.Role;
  private readonly onEventHandler: lambda.Function;
  private readonly isCompleteHandler: lambda.Function;
  private cloudHsmGranted = false;
  private vpcLookupGranted = false;
  private keyManagementGranted = false;
  private adoptionRecordsGranted = false;
  private deferredDeletionGranted = false;
  private readonly secretsGranted = new Set<secretsmanager.ISecret>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);

    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR });
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'KMS custom key store handler: creates, connects, updates, disconnects and deletes custom key stores',
    });
    // Explicit log permissions on the handler's own log group instead of AWSLambdaBasicExecutionRole.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [handlerLogs.logGroupArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageCustomKeyStores',
        actions: [
          'kms:ConnectCustomKeyStore',
          'kms:CreateCustomKeyStore',
          'kms:DeleteCustomKeyStore',
          'kms:DescribeCustomKeyStores',
          'kms:DisconnectCustomKeyStore',
          'kms:UpdateCustomKeyStore',
        ],
        // These actions have no resource-level permissions.
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account } },
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListKeysForDeleteCheck', actions: ['kms:ListKeys'], resources: ['*'] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeKeysForDeleteCheck',
        actions: ['kms:DescribeKey'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeleteKeysInCustomKeyStores',
        // A key removed from the stack is deleted in the update's cleanup, after the role's policy
        // has become the new template's. When it was the stack's last key, that template declares
        // no key, so this one action is granted whatever the stack declares: without it the
        // removed key's deletion would be denied and the key forgotten.
        actions: ['kms:ScheduleKeyDeletion'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: { StringEquals: { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] } },
      }),
    );
    // Whether an update is a rollback or a late duplicate: the stack's status says, the event does not.
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadOwnStackStatus', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));

    const code = lambda.Code.fromAsset(handlerAssetDir());
    const handler = (name: string, entry: string): lambda.Function =>
      new lambda.Function(this, name, {
        code,
        handler: entry,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        // Lambda's CPU grows with memory: 1,769 MB is one full vCPU, which the key scan needs to keep
        // up with its 1,000 DescribeKey calls a second (about 1 ms of CPU each in the SDK).
        memorySize: 1769,
        // A delete checks every key in the account for keys left in the store: 100,000 keys take about two minutes.
        timeout: Duration.minutes(10),
        role: this.role,
        logGroup: handlerLogs,
        description: `KMS custom key store handler (${entry})`,
      });
    const onEvent = handler('OnEventHandler', 'index.onEvent');
    const isComplete = handler('IsCompleteHandler', 'index.isComplete');
    this.onEventHandler = onEvent;
    this.isCompleteHandler = isComplete;

    // The framework's functions get roles of ours too, so that they need no managed policy.
    const frameworkLogs = new logs.LogGroup(this, 'FrameworkLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const frameworkRole = (name: string): iam.Role => {
      const role = new iam.Role(this, name, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [frameworkLogs.logGroupArn] }));
      return role;
    };
    const frameworkOnEventRole = frameworkRole('FrameworkOnEventRole');
    const frameworkCompleteAndTimeoutRole = frameworkRole('FrameworkCompleteAndTimeoutRole');

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: QUERY_INTERVAL,
      totalTimeout: TOTAL_TIMEOUT,
      logGroup: frameworkLogs,
      frameworkOnEventRole,
      frameworkCompleteAndTimeoutRole,
      disableWaiterStateMachineLogging: false,
      // State transitions only: the execution data (the CloudFormation events) stays out of the logs.
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'WaiterLogs', { retention: logs.RetentionDays.ONE_YEAR }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    this.serviceToken = provider.serviceToken;
    this.acknowledgeFindings(provider, [frameworkOnEventRole, frameworkCompleteAndTimeoutRole]);
  }

  /**
   * The policy-validation findings (cdk-nag's AwsSolutions pack) that this design cannot avoid,
   * each acknowledged on the one construct it concerns, with the reason a reviewer can check.
   */
  private acknowledgeFindings(provider: cr.Provider, frameworkRoles: iam.Role[]): void {
    const stack = Stack.of(this);
    const render = (value: string, token: string): string => (Token.isUnresolved(value) ? `<${token}>` : value);
    const keyArns = `arn:<AWS::Partition>:kms:${render(stack.region, 'AWS::Region')}:${render(stack.account, 'AWS::AccountId')}:key/*`;
    const handlerPolicy = this.role.node.findChild('DefaultPolicy');
    Validations.of(handlerPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "The six kms:*CustomKeyStore* actions and kms:ListKeys have no resource-level permissions (they are limited to the stack's account by kms:CallerAccount); cloudhsm:DescribeClusters and ec2:DescribeVpcEndpointServices, added only for the stores that need them, have none either.",
    });
    Validations.of(handlerPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${keyArns}]`,
      reason: "Before deleting a store the handler must DescribeKey every key of the account and Region to find the keys left in it (KMS has no API that lists a store's keys); DescribeKey reads metadata only.",
    });
    // aws-cdk-lib's grantInvoke covers a function and its versions: "<function ARN>:*".
    const versionsOf = (fn: IConstruct): string => `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`;
    for (const role of frameworkRoles) {
      for (const fn of [this.onEventHandler, this.isCompleteHandler]) {
        Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
          id: versionsOf(fn),
          reason: "aws-cdk-lib's Provider lets its framework invoke the handler function and its versions; nothing else is wildcarded.",
        });
      }
    }
    const waiter = provider.node.findChild('waiter-state-machine');
    const waiterPolicy = waiter.node.findChild('Role').node.findChild('DefaultPolicy');
    for (const name of ['framework-isComplete', 'framework-onTimeout']) {
      Validations.of(waiterPolicy).acknowledge({
        id: versionsOf(provider.node.findChild(name)),
        reason: "aws-cdk-lib's Provider lets its waiter invoke the framework's isComplete and onTimeout functions and their versions.",
      });
    }
    Validations.of(waiterPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "Step Functions' log delivery actions (logs:CreateLogDelivery and the like), needed to log the waiter's state transitions, have no resource-level permissions.",
    });
    Validations.of(waiter).acknowledge({
      id: 'AwsSolutions-SF2',
      reason: "The waiter state machine only calls isComplete every 10 seconds; X-Ray adds cost and no insight, and aws-cdk-lib's Provider does not expose tracing.",
    });
  }

  /** Lets the handler read `secret` (once per secret, however many stores use it). */
  public grantSecret(secret: secretsmanager.ISecret): void {
    if (!this.secretsGranted.has(secret)) {
      this.secretsGranted.add(secret);
      secret.grantRead(this.role);
    }
  }

  /** What CloudHSM key stores need: the cluster lookup and KMS's service-linked role. */
  /**
   * The adoption records of this stack's stores (`adoptExisting`): one SSM parameter per adopted
   * store under the stack's own prefix, so that the rollback of an adoption gives the store back.
   */
  public grantAdoptionRecords(): void {
    if (this.adoptionRecordsGranted) {
      return;
    }
    this.adoptionRecordsGranted = true;
    const stack = Stack.of(this);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AdoptionRecords',
        actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${ADOPTION_RECORD_PREFIX.slice(1)}/${stack.stackName}/*` })],
      }),
    );
    const render = (value: string, token: string): string => (Token.isUnresolved(value) ? `<${token}>` : value);
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${render(stack.region, 'AWS::Region')}:${render(stack.account, 'AWS::AccountId')}:parameter${ADOPTION_RECORD_PREFIX}/${render(stack.stackName, 'AWS::StackName')}/*]`,
      reason: "The handler names an adoption record by the store id KMS gives the adopted store, which is known only at deploy time; the records are limited to this stack's prefix.",
    });
  }

  /**
   * Deferred deletion: read the janitor's heartbeat, and write the registry entry of a store handed
   * over. Both live under the janitor's path, in the account (never in this stack).
   */
  public grantDeferredDeletion(): void {
    if (this.deferredDeletionGranted) {
      return;
    }
    this.deferredDeletionGranted = true;
    const stack = Stack.of(this);
    const parameter = (name: string): string => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadJanitorHeartbeat', actions: ['ssm:GetParameter'], resources: [parameter(HEARTBEAT_PARAMETER)] }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'HandOverStoresToJanitor', actions: ['ssm:PutParameter'], resources: [parameter(`${REGISTRY_PATH}/*`)] }));
    const render = (value: string, token: string): string => (Token.isUnresolved(value) ? `<${token}>` : value);
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${render(stack.region, 'AWS::Region')}:${render(stack.account, 'AWS::AccountId')}:parameter${REGISTRY_PATH}/*]`,
      reason: "A registry entry is named by the id KMS gave the store, known only at deploy time; the handler may only write entries under the janitor's registry path.",
    });
  }

  public grantCloudHsm(): void {
    if (this.cloudHsmGranted) {
      return;
    }
    this.cloudHsmGranted = true;
    const stack = Stack.of(this);
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeCloudHsmClusters', actions: ['cloudhsm:DescribeClusters'], resources: ['*'] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateKmsCustomKeyStoreServiceLinkedRole',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: 'aws-service-role/cks.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceCustomKeyStores',
          }),
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': 'cks.kms.amazonaws.com' } },
      }),
    );
  }

  /** What an external key store behind another account's VPC endpoint service needs. */
  public grantVpcEndpointServiceLookup(): void {
    if (this.vpcLookupGranted) {
      return;
    }
    this.vpcLookupGranted = true;
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeVpcEndpointServices', actions: ['ec2:DescribeVpcEndpointServices'], resources: ['*'] }));
  }

  /**
   * What KMS keys in custom key stores need: CreateKey, limited to the two custom key store
   * origins and this account, and the key operations of the key lifecycle on such keys only
   * (kms:KeyOrigin), so that the handler cannot touch the account's other keys.
   */
  public grantKeyManagement(): void {
    if (this.keyManagementGranted) {
      return;
    }
    this.keyManagementGranted = true;
    const stack = Stack.of(this);
    const customKeyStoreOrigins = { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] };
    const keysOfThisAccount = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CreateKeysInCustomKeyStores',
        // CreateKey has no resource-level permissions. kms:KeyOrigin is CreateKey's Origin parameter;
        // kms:CallerAccount is not documented for CreateKey (it is for key resource and custom key
        // store operations), and a condition on a key absent from the request denies every call.
        actions: ['kms:CreateKey'],
        resources: ['*'],
        conditions: { StringEquals: customKeyStoreOrigins },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageKeysInCustomKeyStores',
        // kms:ScheduleKeyDeletion is granted with the provider itself (DeleteKeysInCustomKeyStores).
        actions: ['kms:DisableKey', 'kms:EnableKey', 'kms:ListResourceTags', 'kms:PutKeyPolicy', 'kms:UntagResource', 'kms:UpdateKeyDescription'],
        resources: [keysOfThisAccount],
        conditions: { StringEquals: customKeyStoreOrigins },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagKeysInCustomKeyStores',
        // CreateKey's tags are authorized as kms:TagResource "in an IAM policy that isn't restricted
        // to particular KMS keys" (Developer Guide, Controlling access to tags), before any key
        // exists: no key property such as kms:KeyOrigin is documented in that request. IfExists
        // lets that check pass; on an existing key, a KMS key resource operation, kms:KeyOrigin is
        // always present, so the role can still tag only keys in custom key stores.
        actions: ['kms:TagResource'],
        resources: [keysOfThisAccount],
        conditions: { StringEqualsIfExists: customKeyStoreOrigins },
      }),
    );
    // The same finding as DescribeKey's (one resource string); this says why these actions need it too.
    const render = (value: string, token: string): string => (Token.isUnresolved(value) ? `<${token}>` : value);
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${render(stack.region, 'AWS::Region')}:${render(stack.account, 'AWS::AccountId')}:key/*]`,
      reason:
        "The key lifecycle actions (PutKeyPolicy, UpdateKeyDescription, Enable/DisableKey, Tag/UntagResource, ListResourceTags, ScheduleKeyDeletion) act on keys this handler creates, whose ARNs exist only after CreateKey; kms:KeyOrigin limits them to keys in custom key stores (AWS_CLOUDHSM, EXTERNAL_KEY_STORE).",
    });
  }
}
