/**
 * The public types of the store's metrics and recommended alarms.
 *
 * The metrics are those the KMS Developer Guide lists for external key stores
 * (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html), and the
 * alarms those it recommends (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The kinds of error KMS counts in `XksProxyErrors` (its `ErrorType` dimension).
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
 */
export enum XksProxyErrorType {
  /** Errors that may pass on their own: timeouts, throttling, a proxy or key manager under load. */
  RETRYABLE = 'Retryable',
  /** Errors that will not: a rejected credential, a missing or disabled external key, a misconfigured proxy. */
  NON_RETRYABLE = 'Non-retryable',
}

/**
 * The states KMS reports for the external key manager instances behind an XKS proxy (the
 * `XksExternalKeyManagerState` dimension of `XksExternalKeyManagerStates`), from the proxy's
 * answers to GetHealthStatus.
 *
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
 */
export enum XksExternalKeyManagerState {
  /** The instance is healthy. */
  ACTIVE = 'Active',
  /** The instance works, but not well: it may fail soon. */
  DEGRADED = 'Degraded',
  /** The instance cannot serve requests. */
  UNAVAILABLE = 'Unavailable',
}

/** Options of `metricXksProxyErrors()`. */
export interface XksProxyErrorsMetricOptions extends cloudwatch.MetricOptions {
  /**
   * Count only errors of this kind (KMS's `ErrorType` dimension).
   *
   * @default - every error, whatever its kind
   */
  readonly errorType?: XksProxyErrorType;
}

/** Options of `CustomKeyStore.addRecommendedAlarms()`. */
export interface RecommendedAlarmsOptions {
  /**
   * An action every alarm takes when it goes to ALARM, such as
   * `new cloudwatch_actions.SnsAction(topic)`.
   *
   * @default - no action: the alarms only change state
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * How old the XKS proxy credential may get before its alarm goes off (external key stores
   * only): whole days, at least one. KMS publishes the credential's age in days
   * (`XksProxyCredentialAge`).
   *
   * @default Duration.days(90)
   */
  readonly credentialMaxAge?: Duration;

  /**
   * How long a store the stack wants connected may stay not CONNECTED before its alarm goes off:
   * whole minutes, from 1 minute to 1 day (the alarm looks at one-minute periods, and CloudWatch
   * evaluates such an alarm over at most one day). Short windows are sensitive: a one-minute
   * window alarms on a single minute in which the connection watcher did not report.
   *
   * The default leaves room for a deployment's own reconnects: connecting a CloudHSM key store
   * can take 20 minutes.
   *
   * @default Duration.minutes(30)
   */
  readonly notConnectedFor?: Duration;
}
