/**
 * The alarms `CustomKeyStore.addRecommendedAlarms()` makes: for external key stores those the KMS
 * Developer Guide recommends (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html),
 * which it says must be made per store ("You cannot create a single alarm for all external key
 * stores in your account or an alarm for external key stores that you might create in the
 * future"); for CloudHSM key stores the cluster's health; for both, the connection watcher's
 * verdict.
 *
 * Missing data is chosen per alarm, from what a gap in that metric means:
 * - counts of events (errors) and averages over requests (latency): no request, no data, nothing
 *   wrong: NOT_BREACHING.
 * - gauges KMS publishes only while an external key store is connected (certificate days to
 *   expire, credential age) and the credential sync's verdict (published only when it could check):
 *   a gap says nothing new about the certificate or the credential, so the alarm keeps its state
 *   (IGNORE) rather than clearing an expiring certificate because the store disconnected; the
 *   connection alarm speaks for the disconnection.
 * - instance counts by state (external key manager, CloudHSM's HsmUnhealthy): the series of a
 *   state with no instance in it may not be published at all, so a gap means "none"
 *   (NOT_BREACHING), and the alarm clears once the instance recovers or is replaced.
 * - the connection watcher's Connected and Available: NOT_BREACHING, so that an alarm made with a
 *   fresh store cannot fire before the watcher's first run. CloudWatch evaluates a new alarm at
 *   once ("the alarm state is immediately set to INSUFFICIENT_DATA. The alarm is then evaluated
 *   and its state is set appropriately. Any actions associated with the new state are then
 *   executed": PutMetricAlarm), and with BREACHING a range of missing data is an ALARM: every
 *   first deploy and every store replacement would page. Available is not published for a store
 *   that is not CONNECTED (NotConnected speaks for it) or when a probe is inconclusive
 *   (throttling), so a gap is not unavailability either.
 * - the watcher's ConfigurationDrift: NOT_BREACHING, as Connected (no run yet, or a store in the
 *   middle of an offline update, is no drift).
 * - the watcher itself: a watcher that fails (its DescribeCustomKeyStores is refused, it times
 *   out) publishes nothing, which NOT_BREACHING would read as healthy. The WatcherFailing alarm
 *   counts the watcher function's own errors (AWS/Lambda Errors), which exist only once it runs:
 *   no run, no error, no false alarm on a fresh deploy.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct, IConstruct } from 'constructs';
import type { CustomKeyStore } from '../../custom-key-store';
import { ConnectionWatcher } from '../operations/connection-watcher';
import { CustomKeyStoreType } from '../../custom-key-store-type';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from '../../errors';
import { RecommendedAlarmsOptions, XksExternalKeyManagerState, XksProxyErrorType } from '../../monitoring';
import { hsmUnhealthy } from './metric-factory';

const ALARMS_ID = 'RecommendedAlarms';

/** The Guide's threshold: KMS times out a proxy request at 250 ms. */
const LATENCY_THRESHOLD_MS = 200;
const CERTIFICATE_THRESHOLD_DAYS = 10;
const ERRORS_PER_MINUTE_THRESHOLD = 5;
const DEFAULT_CREDENTIAL_MAX_AGE = Duration.days(90);
const DEFAULT_NOT_CONNECTED_FOR = Duration.minutes(30);
/** Three failed probes in a row: one may be a transient KMS error (KMSInternalException is retryable), three minutes is an outage. */
const UNAVAILABLE_MINUTES = 3;
/**
 * Drift seen in five runs in a row. A deployment that changes the store is seen as drift for a
 * minute or two at most: the watcher skips a store while it is CONNECTING or DISCONNECTING (an
 * offline update), and CloudFormation updates the declaration right after the store's resource
 * completes. A change made in the console stays until someone puts it back, so five minutes costs
 * nothing, and it is never an outage that needs paging sooner (the connection alarms speak for those).
 */
const DRIFT_MINUTES = 5;
/** The watcher runs once a minute: five failed runs in five minutes, twice in a row, is a watcher that stopped working, not a hiccup. */
const WATCHER_ERRORS_PER_5_MINUTES = 5;
/** CloudWatch: an alarm with a period under an hour evaluates at most one day (period x evaluation periods <= 86,400 s). */
const MAX_NOT_CONNECTED_MINUTES = 24 * 60;

/** What the alarms need to know of the store beyond its public API (its private facts). */
export interface AlarmedStoreFacts {
  readonly wantsConnected: boolean;
  readonly clusterId?: string;
  readonly credentialSynced: boolean;
  /** The watcher probes the store (a CloudHSM key store, or an external key store with a probe key). */
  readonly probed: boolean;
}

interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly description: string;
  /** Both the evaluation periods and the datapoints to alarm. */
  readonly periods?: number;
}

export function addRecommendedAlarms(store: CustomKeyStore, facts: AlarmedStoreFacts, options: RecommendedAlarmsOptions): cloudwatch.Alarm[] {
  if (store.node.tryFindChild(ALARMS_ID)) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.ALREADY_ADDED,
      'addRecommendedAlarms: was already called for this store; expected one call per store (it returned the alarms; add further actions to those)',
      store,
    );
  }
  // Checked before anything is added, so that a refused call leaves the store as it was.
  const credentialMaxAgeDays = wholeUnits(store, 'credentialMaxAge', options.credentialMaxAge ?? DEFAULT_CREDENTIAL_MAX_AGE, {
    unitSeconds: 86_400,
    unit: 'days',
    min: 1,
    why: 'KMS publishes XksProxyCredentialAge in whole days',
  });
  const notConnectedMinutes = wholeUnits(store, 'notConnectedFor', options.notConnectedFor ?? DEFAULT_NOT_CONNECTED_FOR, {
    unitSeconds: 60,
    unit: 'minutes',
    min: 1,
    max: MAX_NOT_CONNECTED_MINUTES,
    why: 'the alarm counts one-minute periods, and CloudWatch evaluates an alarm with periods under an hour over at most one day',
  });

  const what = describeStore(store);
  const specs: Array<[string, AlarmSpec]> =
    store.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM ? cloudHsmAlarms(facts, what) : externalAlarms(store, facts, what, credentialMaxAgeDays);
  if (facts.wantsConnected) {
    specs.push([
      'NotConnected',
      {
        metric: store.metricConnected({ period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        periods: notConnectedMinutes,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `The connection watcher has reported the ${what} not CONNECTED for ${notConnectedMinutes} minutes (metric KmsCustomKeyStores Connected, from the KmsCustomKeyStoreConnectionWatcher function of stack ${store.stack.stackName}). ` +
          'Its KMS keys cannot be used while it is disconnected. Find why in the ConnectionError metric (by ConnectionErrorCode) or DescribeCustomKeyStores, fix it, then connect the store again (deploy the stack, or ConnectCustomKeyStore).',
      },
    ]);
    specs.push(['WatcherFailing', watcherFailing(store, what)]);
    specs.push([
      'ConfigurationDrift',
      {
        metric: store.metricConfigurationDrift({ period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        periods: DRIFT_MINUTES,
        // Published only once the watcher has run and the store is in a steady state: no data is no drift.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `The ${what} or a key the stack declares in it has differed from the stack's declaration for ${DRIFT_MINUTES} minutes (metric KmsCustomKeyStores ConfigurationDrift, from the KmsCustomKeyStoreConnectionWatcher function of stack ${store.stack.stackName}): someone changed it outside CloudFormation. ` +
          "The watcher's log names each field that differs, with the declared and the actual value: put it back, or declare the new value and deploy.",
      },
    ]);
  }
  if (facts.probed) {
    specs.push([
      'Unavailable',
      {
        metric: store.metricAvailable({ period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        periods: UNAVAILABLE_MINUTES,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `KMS could not use the ${what} in ${UNAVAILABLE_MINUTES} probes in a row although it is CONNECTED (metric KmsCustomKeyStores Available, from the KmsCustomKeyStoreConnectionWatcher function of stack ${store.stack.stackName}): ` +
          'requests for its keys are failing. The ProbeError metric (by ExceptionName) and the watcher\'s log say what failed and what it means: for a CloudHSM key store check the cluster\'s HSMs and kmsuser, for an external key store the proxy and the external key manager.',
      },
    ]);
  }

  const scope = new Construct(store, ALARMS_ID);
  return specs.map(([id, spec]) => {
    const periods = spec.periods ?? 1;
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: spec.treatMissingData,
      alarmDescription: spec.description,
    });
    if (options.alarmAction) {
      alarm.addAlarmAction(options.alarmAction);
    }
    return alarm;
  });
}

/** The alarms `addRecommendedAlarms()` made for the store so far (none for a store without them, or an imported one). */
export function recommendedAlarmsOf(store: IConstruct): cloudwatch.Alarm[] {
  const scope = store.node.tryFindChild(ALARMS_ID);
  return scope === undefined ? [] : scope.node.children.filter((child): child is cloudwatch.Alarm => child instanceof cloudwatch.Alarm);
}

function watcherFailing(store: CustomKeyStore, what: string): AlarmSpec {
  return {
    metric: ConnectionWatcher.of(store).handler.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    threshold: WATCHER_ERRORS_PER_5_MINUTES,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    periods: 2,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `The connection watcher of stack ${store.stack.stackName} (function KmsCustomKeyStoreConnectionWatcher) failed every run for 10 minutes (AWS/Lambda Errors): nothing reports whether the ${what} is connected or available. ` +
      'Its log says why (often a refused DescribeCustomKeyStores, or a timeout); fix it or redeploy the stack.',
  };
}

function externalAlarms(store: CustomKeyStore, facts: AlarmedStoreFacts, what: string, credentialMaxAgeDays: number): Array<[string, AlarmSpec]> {
  const fiveMinutes = Duration.minutes(5);
  const errors = (errorType: XksProxyErrorType, meaning: string): AlarmSpec => ({
    metric: store.metricXksProxyErrors({ errorType, period: Duration.minutes(1) }),
    threshold: ERRORS_PER_MINUTE_THRESHOLD,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description:
      `More than ${ERRORS_PER_MINUTE_THRESHOLD} ${errorType.toLowerCase()} errors in one minute from the XKS proxy of ${what} (AWS/KMS XksProxyErrors, ErrorType ${errorType}): ${meaning} ` +
      'The ExceptionName dimension of XksProxyErrors and the proxy\'s logs say which.',
  });
  const keyManager = (state: XksExternalKeyManagerState, meaning: string): AlarmSpec => ({
    metric: store.metricXksExternalKeyManagerStates(state, { period: fiveMinutes }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description: `An external key manager instance behind the XKS proxy of ${what} is ${state} (AWS/KMS XksExternalKeyManagerStates). ${meaning}`,
  });
  const specs: Array<[string, AlarmSpec]> = [
    [
      'ProxyCertificateExpiry',
      {
        metric: store.metricXksProxyCertificateDaysToExpire({ period: fiveMinutes }),
        threshold: CERTIFICATE_THRESHOLD_DAYS,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // A gap says nothing new (KMS publishes only while the store is connected), and missing
        // data as breaching would page on every fresh deploy. KMS never publishes a value for a
        // certificate whose subject common name has a wildcard (Developer Guide, monitoring an
        // external key store): the alarm then stays INSUFFICIENT_DATA, which its description and
        // the dashboard's certificate graph say.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        description:
          `The TLS certificate of the XKS proxy of ${what} expires in fewer than ${CERTIFICATE_THRESHOLD_DAYS} days (AWS/KMS XksProxyCertificateDaysToExpire). ` +
          'Renew it and install it on the proxy (or its load balancer): KMS cannot reach a proxy whose certificate has expired, and then no key of the store can be used. ' +
          "If this alarm stays INSUFFICIENT_DATA while the store is connected, KMS publishes no value for the certificate: it does not for one whose subject common name has a wildcard (such as *.example.com). This alarm cannot watch such a certificate: watch its expiry elsewhere (its CA, or ACM's DaysToExpiry).",
      },
    ],
    [
      'ProxyLatency',
      {
        metric: store.metricXksProxyLatency({ period: fiveMinutes }),
        threshold: LATENCY_THRESHOLD_MS,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `The XKS proxy of ${what} answered KMS in more than ${LATENCY_THRESHOLD_MS} ms on average over 5 minutes (AWS/KMS XksProxyLatency); KMS gives up on a request after 250 ms. ` +
          'Check the load and network path of the proxy and the external key manager; the store\'s Monitoring section in the KMS console shows the latency by operation.',
      },
    ],
    ['ProxyRetryableErrors', errors(XksProxyErrorType.RETRYABLE, 'usually timeouts, throttling, or a proxy or key manager under load. If they persist, add capacity or fix the slow component.')],
    ['ProxyNonRetryableErrors', errors(XksProxyErrorType.NON_RETRYABLE, 'requests that will keep failing, such as a rejected credential, a missing or disabled external key, or a misconfigured proxy. Fix the cause.')],
    ['KeyManagerDegraded', keyManager(XksExternalKeyManagerState.DEGRADED, 'It still serves requests, but may fail: check its health before more instances fail.')],
    ['KeyManagerUnavailable', keyManager(XksExternalKeyManagerState.UNAVAILABLE, 'Restore it, or take it out of the proxy\'s pool: when every instance is unavailable, no key of the store can be used.')],
    [
      'ProxyCredentialAge',
      {
        // KMS counts the age in days: an hourly look is fine-grained enough and keeps the alarm cheap to evaluate.
        metric: store.metricXksProxyCredentialAge({ period: Duration.hours(1) }),
        threshold: credentialMaxAgeDays,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        description:
          `The XKS proxy credential of ${what} is more than ${credentialMaxAgeDays} days old (AWS/KMS XksProxyCredentialAge). Rotate it: create a new credential on the proxy, then give it to KMS ` +
          (facts.credentialSynced ? '(put it in the store\'s proxy credential secret: the stack\'s credential sync gives it to KMS).' : '(put it in a new secret, point the store\'s proxyCredential at it and deploy).'),
      },
    ],
  ];
  if (facts.credentialSynced) {
    specs.push([
      'ProxyCredentialSyncFailed',
      {
        metric: store.metricProxyCredentialSyncFailed({ period: fiveMinutes }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        description:
          `The proxy credential of ${what} could not be brought in line with its secret (KmsCustomKeyStores ProxyCredentialSyncFailed): KMS rejected the secret's credential, or the secret is unusable. ` +
          `The store keeps the credential it had. Read the log of the KmsCustomKeyStoreProxyCredentialSync function of stack ${store.stack.stackName}, make sure the proxy accepts the secret's credential, and fix the secret.`,
      },
    ]);
  }
  return specs;
}

function cloudHsmAlarms(facts: AlarmedStoreFacts, what: string): Array<[string, AlarmSpec]> {
  if (facts.clusterId === undefined) {
    return [];
  }
  return [
    [
      'HsmUnhealthy',
      {
        metric: hsmUnhealthy(facts.clusterId),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description:
          `An HSM of CloudHSM cluster ${facts.clusterId}, which backs ${what}, is unhealthy (AWS/CloudHSM HsmUnhealthy). CloudHSM replaces it on its own; ` +
          'make sure the cluster keeps at least two active HSMs in different Availability Zones, which KMS needs to connect the store, and add one if it does not.',
      },
    ],
  ];
}

function describeStore(store: CustomKeyStore): string {
  const kind = store.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM ? 'CloudHSM key store' : 'external key store';
  const name = store.customKeyStoreName === undefined ? '' : ` '${store.customKeyStoreName}'`;
  return `${kind}${name} (${store.customKeyStoreId})`;
}

interface UnitRule {
  readonly unitSeconds: number;
  /** Plural, e.g. 'days'. */
  readonly unit: string;
  readonly min: number;
  readonly max?: number;
  readonly why: string;
}

/** A literal Duration in whole units within bounds, as a number of those units. */
function wholeUnits(scope: IConstruct, property: string, value: Duration, rule: UnitRule): number {
  if (Token.isUnresolved(value.toString()) || value.isUnresolved()) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, `addRecommendedAlarms: ${property} is a token; expected a literal Duration, because the alarm's threshold and periods are fixed at synth time`, scope);
  }
  const units = value.toMilliseconds({ integral: false }) / (rule.unitSeconds * 1000);
  if (!Number.isInteger(units) || units < rule.min || (rule.max !== undefined && units > rule.max)) {
    const singular = rule.unit.replace(/s$/, '');
    const range = rule.max === undefined ? `at least ${rule.min} ${singular}` : `from ${rule.min} ${singular} to ${rule.max} ${rule.unit}`;
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.OUT_OF_RANGE, `addRecommendedAlarms: ${property} ${value.toHumanString()} is out of range; expected whole ${rule.unit}, ${range} (${rule.why})`, scope);
  }
  return units;
}
