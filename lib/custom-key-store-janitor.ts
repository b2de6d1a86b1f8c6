import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from './errors';
import { DEFERRED_DELETION_PATH, HEARTBEAT_MAX_AGE_MINUTES, HEARTBEAT_PARAMETER, JANITOR_SCHEDULE_MINUTES, REGISTRY_PATH, STORES_OVERDUE_METRIC, STORES_STUCK_METRIC, STORES_WAITING_METRIC } from './private/contract/deferred-deletion';
import { OPERATIONS_NAMESPACE } from './private/contract/operations-metrics';
import { OperationsFunction } from './private/operations/operations-function';

/** Properties of a `CustomKeyStoreJanitor`. */
export interface CustomKeyStoreJanitorProps {
  /**
   * How often the janitor runs. Between 1 minute and 1 hour, in whole minutes: a handler hands a
   * store over only to a janitor that ran in the last three hours.
   *
   * @default Duration.hours(1)
   */
  readonly schedule?: Duration;
}

/** Options of `CustomKeyStoreJanitor.addRecommendedAlarms()`. */
export interface JanitorAlarmsOptions {
  /**
   * Where each alarm notifies when it fires.
   *
   * @default - no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * Finishes the deletion of custom key stores that stacks hand over with `deferDeletion: true`
 * (a store whose keys wait 7-30 days pending deletion, which KMS refuses to delete until then).
 *
 * Deploy one per account and Region, in a long-lived stack. On its schedule it writes a heartbeat
 * (handlers hand stores only to a janitor that runs), reads the registry of stores handed over
 * (SSM parameters under `/cdk-kms-custom-key-store/deferred-deletion/`), lists the account's
 * custom key stores once, and for each store: keeps a CloudHSM key store connected while its keys
 * wait (KMS deletes their key material from the cluster only then); after the last deletion date,
 * checks the store's keys, disconnects it, deletes it and removes its entry. It never schedules or
 * deletes a key, and never deletes a store that holds a key not pending deletion: it says why in
 * its log and counts the store as stuck. It logs one line per store per run.
 */
export class CustomKeyStoreJanitor extends Construct {
  /** The janitor's function. */
  public readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: CustomKeyStoreJanitorProps = {}) {
    super(scope, id);
    const schedule = props.schedule ?? Duration.minutes(JANITOR_SCHEDULE_MINUTES);
    checkSchedule(this, schedule);
    const fn = new OperationsFunction(this, 'Handler', 'key-store-janitor', 'Deletes the custom key stores handed over for deferred deletion once their keys are gone', Duration.minutes(5));
    this.function = fn.function;
    const stack = Stack.of(this);
    const parameter = (name: string): string => stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.slice(1) });
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FinishDeferredDeletions',
        actions: ['kms:ConnectCustomKeyStore', 'kms:DisconnectCustomKeyStore', 'kms:DeleteCustomKeyStore'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account } },
      }),
    );
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ListKeysOfWaitingStores', actions: ['kms:ListKeys'], resources: ['*'] }));
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'DescribeKeysOfWaitingStores', actions: ['kms:DescribeKey'], resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })] }));
    // GetParametersByPath authorizes on the path itself: the janitor's own, the heartbeat and the registry below it.
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadRegistry', actions: ['ssm:GetParametersByPath'], resources: [parameter(DEFERRED_DELETION_PATH)] }));
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'KeepRegistry', actions: ['ssm:PutParameter', 'ssm:DeleteParameter'], resources: [parameter(`${REGISTRY_PATH}/*`)] }));
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteHeartbeat', actions: ['ssm:PutParameter'], resources: [parameter(HEARTBEAT_PARAMETER)] }));
    const render = (value: string, token: string): string => (Token.isUnresolved(value) ? `<${token}>` : value);
    const region = render(stack.region, 'AWS::Region');
    const account = render(stack.account, 'AWS::AccountId');
    const policy = Validations.of(fn.role.node.findChild('DefaultPolicy'));
    policy.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*]`,
      reason: 'KMS has no API that lists a store\'s keys: the janitor must DescribeKey the keys of the account (metadata only) to tell whether a waiting store still holds one.',
    });
    policy.acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:parameter${REGISTRY_PATH}/*]`,
      reason: 'Registry entries are named by the ids KMS gave the stores handed over, known only at run time; the janitor may only touch entries under its own registry path.',
    });
    new events.Rule(this, 'Schedule', {
      description: 'Runs the custom key store janitor',
      schedule: events.Schedule.rate(schedule),
      targets: [new targets.LambdaFunction(fn.function)],
    });
  }

  /** The stores handed over whose keys still wait, or that are being disconnected and deleted. @default - Maximum, 1 hour */
  public metricStoresWaiting(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(STORES_WAITING_METRIC, props);
  }

  /** The stores still there more than a day after their last key's deletion date. @default - Maximum, 1 hour */
  public metricStoresOverdue(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(STORES_OVERDUE_METRIC, props);
  }

  /** The stores the janitor will not delete: a key in them is not pending deletion. @default - Maximum, 1 hour */
  public metricStoresStuck(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(STORES_STUCK_METRIC, props);
  }

  /**
   * The janitor's recommended alarms: a stuck store, an overdue store, and the janitor's own
   * errors (a janitor that fails leaves stores waiting forever, and stops handlers from handing
   * more over). Each has a description that says what it means and what to do.
   */
  public addRecommendedAlarms(options: JanitorAlarmsOptions = {}): cloudwatch.Alarm[] {
    const hour = Duration.hours(1);
    // Each fires on any value above zero in an hour; no value (no run yet) is not a failure.
    const anyInAnHour = (id: string, metric: cloudwatch.IMetric, alarmDescription: string): cloudwatch.Alarm =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription,
      });
    const alarms = [
      anyInAnHour(
        'StoreStuck',
        this.metricStoresStuck({ period: hour }),
        'A custom key store handed over for deferred deletion holds a KMS key that is not pending deletion (made since, or its deletion cancelled), so the janitor will not delete it. ' +
          "Its log names the store and the key: schedule the key's deletion if the store is to go, or take the store back by deploying its stack again.",
      ),
      anyInAnHour(
        'StoreOverdue',
        this.metricStoresOverdue({ period: hour }),
        "A custom key store handed over for deferred deletion still exists more than a day after its keys' last deletion date. The janitor's log says why (a failed disconnect or delete, throttling).",
      ),
      anyInAnHour(
        'JanitorFailing',
        this.function.metricErrors({ period: hour, statistic: cloudwatch.Stats.SUM }),
        `The custom key store janitor failed. While it fails, stores handed over wait, and after ${HEARTBEAT_MAX_AGE_MINUTES} minutes without a run handlers stop handing stores over (stack deletes fail as without deferDeletion). See its log.`,
      ),
    ];
    const action = options.alarmAction;
    if (action) {
      alarms.forEach((a) => {
        a.addAlarmAction(action);
      });
    }
    return alarms;
  }

  private metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: OPERATIONS_NAMESPACE, metricName, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1), ...props });
  }
}

function checkSchedule(scope: Construct, schedule: Duration): void {
  if (schedule.isUnresolved()) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, 'schedule: is a token; expected a literal Duration', scope);
  }
  const seconds = schedule.toSeconds({ integral: false });
  if (seconds < 60 || seconds > 3600 || seconds % 60 !== 0) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.OUT_OF_RANGE,
      `schedule: ${schedule.toHumanString()} is out of range; expected 1 minute to 1 hour, in whole minutes (a handler hands stores over only to a janitor that ran in the last ${HEARTBEAT_MAX_AGE_MINUTES} minutes)`,
      scope,
    );
  }
}
