import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { ICustomKeyStore } from './custom-key-store';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from './errors';
import { checkWidgetPeriod, storeWidgets } from './private/monitoring/dashboard-widgets';

/** Options of `CustomKeyStoreDashboard.widgetsFor()`. */
export interface CustomKeyStoreWidgetsOptions {
  /**
   * Alarms to show in the store's alarm status widget, besides those `addRecommendedAlarms()`
   * made for it (which are found when the dashboard is synthesized, whenever they were added).
   *
   * @default - only the store's recommended alarms
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * The period of every metric in the widgets: whole minutes, at least one (the XKS proxy's graphs
   * are CloudWatch Metrics Insights queries, which aggregate by the minute).
   *
   * @default - each metric's own: 1 minute for the connection watcher's, 5 minutes for KMS's and CloudHSM's
   */
  readonly period?: Duration;
}

/** Properties of a CustomKeyStoreDashboard. */
export interface CustomKeyStoreDashboardProps {
  /**
   * The dashboard's name: letters, digits, `-` and `_`.
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;

  /**
   * The stores to show, in this order, each under a header with its kind, name and id (it may be
   * empty: `addStore()` adds more).
   */
  readonly stores: ICustomKeyStore[];

  /**
   * Alarms to show in one widget above the stores, such as your application's alarms on its keys.
   * Each store's own alarms are shown with the store.
   *
   * @default - no such widget
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * The period of every metric on the dashboard: whole minutes, at least one.
   *
   * @default - each metric's own: 1 minute for the connection watcher's, 5 minutes for KMS's and CloudHSM's
   */
  readonly period?: Duration;

  /**
   * The time range the dashboard opens with, as CloudWatch takes it: a relative ISO 8601 duration
   * such as `-PT6H` (the last six hours) or `-P7D`, or a timestamp.
   *
   * @default - CloudWatch's default, the last 3 hours
   */
  readonly start?: string;
}

/**
 * A CloudWatch dashboard that shows, per custom key store, whether it works: its alarms' states,
 * whether it is CONNECTED and available (the connection watcher's probe) and how long the probe
 * took; for a CloudHSM key store declared here, its cluster's unhealthy HSMs; for an external key
 * store, its XKS proxy's latency and errors, the external key manager's instances by state, the
 * days until the proxy's certificate expires, the proxy credential's age and, with
 * `syncProxyCredential`, the credential sync's failures.
 *
 * For a store declared in this app, the connection and availability graphs turn on its stack's
 * connection watcher, as `metricConnected()` does: nothing else publishes those metrics. A store
 * imported without its type shows only what every store has.
 */
export class CustomKeyStoreDashboard extends Construct {
  /**
   * The widgets the dashboard shows for one store, for a dashboard of your own: a header as wide as
   * the dashboard, then lines of widgets, each one `Row` as wide as the dashboard.
   * `dashboard.addWidgets(...widgets)` lays them out as this construct does.
   *
   * For a store declared in this app, the connection and availability graphs turn on its stack's
   * connection watcher (see the class).
   */
  public static widgetsFor(store: ICustomKeyStore, options: CustomKeyStoreWidgetsOptions = {}): cloudwatch.IWidget[] {
    checkWidgetPeriod(store, options.period);
    return storeWidgets(store, { alarms: options.alarms ?? [], period: options.period });
  }

  /** The CloudWatch dashboard, to add widgets of your own to. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly period?: Duration;

  /** Declares the dashboard with a section per store. */
  constructor(scope: Construct, id: string, props: CustomKeyStoreDashboardProps) {
    super(scope, id);
    // Checked for JavaScript callers, whom no compiler stops from leaving it out.
    if (!Array.isArray(props.stores)) {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, 'stores is required; expected an array of custom key stores (an empty one, to add them with addStore())', this);
    }
    checkWidgetPeriod(this, props.period);
    this.period = props.period;
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', { dashboardName: props.dashboardName, start: props.start });
    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 4 }));
    }
    props.stores.forEach((store) => { this.addStore(store); });
  }

  /**
   * Adds a section for `store` below the others, with `alarms` shown beside the alarms
   * `addRecommendedAlarms()` made for it.
   *
   * For a store declared in this app, this turns on its stack's connection watcher (see the class).
   */
  public addStore(store: ICustomKeyStore, alarms?: cloudwatch.IAlarm[]): void {
    storeWidgets(store, { alarms: alarms ?? [], period: this.period }).forEach((widget) => { this.dashboard.addWidgets(widget); });
  }
}
