import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { OPERATIONS_NAMESPACE } from '../contract/operations-metrics';
import { handlerAssetDir, HandlerBundle } from '../handler-asset';

/**
 * One of the library's scheduled operations functions (the connection watcher, the credential
 * sync): a pre-bundled function with a role of its own that may write only its own log group, read
 * the account's custom key stores, and publish only into the library's metric namespace.
 */
export class OperationsFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, bundle: HandlerBundle, description: string, timeout: Duration = Duration.minutes(1)) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCustomKeyStores',
        actions: ['kms:DescribeCustomKeyStores'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishOwnMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': OPERATIONS_NAMESPACE } },
      }),
    );
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(handlerAssetDir(bundle)),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      role: this.role,
      logGroup,
      description,
    });
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `kms:DescribeCustomKeyStores, for the connection watcher's probe kms:GenerateRandom, and for the credential sync kms:UpdateCustomKeyStore, have no resource-level permissions (kms:CallerAccount limits them to this account); cloudwatch:PutMetricData has none either (cloudwatch:namespace limits it to ${OPERATIONS_NAMESPACE}).`,
    });
  }
}
