/**
 * The widgets `CustomKeyStoreDashboard` shows for one store, by kind of store: what tells at a
 * glance whether the store works (the connection watcher's Connected and Available, the probe's
 * latency, the alarms), then for an external key store what KMS publishes about its XKS proxy.
 *
 * Each line of widgets is one `Row` exactly as wide as the grid, so that the widgets keep their
 * layout whether a user adds them one line per `addWidgets()` call or all in one.
 */
import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { CustomKeyStore, ICustomKeyStore } from '../../custom-key-store';
import { CustomKeyStoreType } from '../../custom-key-store-type';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from '../../errors';
import { XksExternalKeyManagerState, XksProxyErrorType } from '../../monitoring';
import { CONNECTED_METRIC, OPERATIONS_NAMESPACE, STORE_ID_DIMENSION } from '../contract/operations-metrics';
import { isDeclaredDisconnected } from '../key-store-facts';
import { WATCH_INTERVAL } from '../operations/connection-watcher';
import { recommendedAlarmsOf } from './alarm-factory';
import { hsmUnhealthy } from './metric-factory';

/** What a dashboard shows of a store declared here beyond its public API (`CustomKeyStore._dashboardFacts()`). */
export interface DashboardStoreFacts {
  readonly clusterId?: string;
  readonly credentialSynced: boolean;
  readonly healthProbed: boolean;
}

export interface StoreWidgetsOptions {
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly period?: Duration;
}

/** CloudWatch's dashboard grid is 24 units wide. */
const GRID_WIDTH = 24;
const HEADER_HEIGHT = 2;
const WIDGET_HEIGHT = 6;
/** KMS gives up on a request to the XKS proxy after 250 ms (KMS Developer Guide, XksProxyLatency). */
const KMS_PROXY_TIMEOUT_MS = 250;

const ZERO_OR_ONE: cloudwatch.YAxisProps = { min: 0, max: 1, showUnits: false };
const MILLISECONDS: cloudwatch.YAxisProps = { min: 0, label: 'ms', showUnits: false };
const COUNT: cloudwatch.YAxisProps = { min: 0, showUnits: false };

/** One widget of a line, made once the line knows how wide each of its widgets is. */
type Cell = (width: number) => cloudwatch.IWidget;

/**
 * The metrics of a declared store turn its stack's connection watcher on (`metricConnected()`,
 * `metricAvailable()`, `metricProbeLatency()`): nothing else publishes them.
 */
export function storeWidgets(store: ICustomKeyStore, options: StoreWidgetsOptions): cloudwatch.IWidget[] {
  const declared = store instanceof CustomKeyStore ? store : undefined;
  const facts = declared?._dashboardFacts();
  const opts = (label: string, props: cloudwatch.MetricOptions = {}): cloudwatch.MetricOptions => ({ ...props, label, ...(options.period ? { period: options.period } : {}) });
  const graph = (title: string, metrics: cloudwatch.IMetric[], leftYAxis: cloudwatch.YAxisProps, more: Partial<cloudwatch.GraphWidgetProps> = {}): Cell =>
    (width) => new cloudwatch.GraphWidget({ title, left: metrics, leftYAxis, width, height: WIDGET_HEIGHT, ...more });
  const single = (title: string, metric: cloudwatch.IMetric): Cell =>
    (width) => new cloudwatch.SingleValueWidget({ title, metrics: [metric], sparkline: true, width, height: WIDGET_HEIGHT });

  const health: Cell[] = [
    (width) => new StoreAlarmsWidget(store, options.alarms, width, WIDGET_HEIGHT),
    graph('Connected and available (1 = yes)', [connectedMetric(store, declared, opts('Connected')), store.metricAvailable(opts('Available'))], ZERO_OR_ONE),
    graph('Availability probe latency', [store.metricProbeLatency(opts('Probe latency'))], MILLISECONDS),
  ];
  if (declared) {
    // Only a stack that declares the store knows what it should look like: an imported one has no drift check.
    health.push(graph('Configuration drift', [declared.metricConfigurationDrift(opts('Store drifted (1 = yes)')), declared.metricDriftedKeys(opts('Drifted keys'))], COUNT));
  }
  if (store.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM && facts?.clusterId !== undefined) {
    health.push(graph(`Unhealthy HSMs of ${facts.clusterId}`, [hsmUnhealthy(facts.clusterId, opts('HsmUnhealthy'))], COUNT));
  }
  const lines = [line(health)];
  if (store.customKeyStoreType === CustomKeyStoreType.EXTERNAL_KEY_STORE) {
    lines.push(
      line([
        graph('XKS proxy latency', [store.metricXksProxyLatency(opts('Average')), store.metricXksProxyLatency(opts('Maximum', { statistic: cloudwatch.Stats.MAXIMUM }))], MILLISECONDS, {
          leftAnnotations: [{ value: KMS_PROXY_TIMEOUT_MS, label: 'KMS gives up' }],
        }),
        graph('XKS proxy errors', [XksProxyErrorType.RETRYABLE, XksProxyErrorType.NON_RETRYABLE].map((errorType) => store.metricXksProxyErrors({ ...opts(errorType), errorType })), COUNT),
        graph('External key manager instances by state', Object.values(XksExternalKeyManagerState).map((state) => store.metricXksExternalKeyManagerStates(state, opts(state))), COUNT),
      ]),
    );
    const credential: Cell[] = [
      // KMS publishes no value for a certificate whose subject common name has a wildcard: say so where the value would be.
      single('XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)', store.metricXksProxyCertificateDaysToExpire(opts('Days to expiry'))),
      single('XKS proxy credential: age in days', store.metricXksProxyCredentialAge(opts('Age in days'))),
    ];
    if (declared && facts?.credentialSynced) {
      credential.push(graph('Proxy credential sync failed (1 = yes)', [declared.metricProxyCredentialSyncFailed(opts('Sync failed'))], ZERO_OR_ONE));
    }
    lines.push(line(credential));
  }
  return [header(store, declared), ...lines];
}

/**
 * The period every metric of a store's widgets is shown with: whole minutes, since the XKS proxy
 * graphs are CloudWatch Metrics Insights queries, which aggregate by the minute.
 */
export function checkWidgetPeriod(scope: IConstruct, period: Duration | undefined): void {
  if (period === undefined) {
    return;
  }
  if (Token.isUnresolved(period.toString()) || period.isUnresolved()) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, 'period: is a token; expected a literal Duration, because the widgets\' metrics are fixed at synth time', scope);
  }
  const seconds = period.toSeconds({ integral: false });
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new CustomKeyStoreValidationError(
      CustomKeyStoreErrorCode.INVALID_VALUE,
      `period: ${period.toHumanString()} is not a whole number of minutes; expected 1 minute or more, in whole minutes (the XKS proxy graphs are CloudWatch Metrics Insights queries, which aggregate by the minute)`,
      scope,
    );
  }
}

/** The cells share the grid's width, the first ones one unit wider when it does not divide evenly. */
function line(cells: readonly Cell[]): cloudwatch.Row {
  const base = Math.floor(GRID_WIDTH / cells.length);
  const wider = GRID_WIDTH % cells.length;
  return new cloudwatch.Row(...cells.map((cell, i) => cell(base + (i < wider ? 1 : 0))));
}

/** An imported store has no `metricConnected()`; its declaring stack's watcher may still publish the metric. */
function connectedMetric(store: ICustomKeyStore, declared: CustomKeyStore | undefined, props: cloudwatch.MetricOptions): cloudwatch.Metric {
  if (declared) {
    return declared.metricConnected(props);
  }
  return new cloudwatch.Metric({
    namespace: OPERATIONS_NAMESPACE,
    metricName: CONNECTED_METRIC,
    statistic: cloudwatch.Stats.MAXIMUM,
    period: WATCH_INTERVAL,
    ...props,
    dimensionsMap: { [STORE_ID_DIMENSION]: store.customKeyStoreId },
  });
}

/** Written when the dashboard renders: a probe key given after the dashboard was made still counts. */
function header(store: ICustomKeyStore, declared: CustomKeyStore | undefined): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({
    markdown: Lazy.string({ produce: () => headerMarkdown(store, declared) }),
    width: GRID_WIDTH,
    height: HEADER_HEIGHT,
  });
}

function headerMarkdown(store: ICustomKeyStore, declared: CustomKeyStore | undefined): string {
  const kind =
    store.customKeyStoreType === CustomKeyStoreType.AWS_CLOUDHSM ? 'CloudHSM key store' : store.customKeyStoreType === CustomKeyStoreType.EXTERNAL_KEY_STORE ? 'External key store' : 'Custom key store';
  const name = store.customKeyStoreName === undefined ? '' : ` ${store.customKeyStoreName}`;
  const notes: string[] = [];
  if (!declared) {
    notes.push('Imported: Connected, Available and the probe latency come from the connection watcher of the stack that declares the store, when it watches it.');
  } else if (isDeclaredDisconnected(declared)) {
    notes.push('Declared `connected: false`: Connected stays 0 and the store is not probed.');
  }
  if (store.customKeyStoreType === undefined) {
    notes.push('Kind unknown: import the store with its `customKeyStoreType` to see its XKS proxy metrics.');
  } else if (declared && store.customKeyStoreType === CustomKeyStoreType.EXTERNAL_KEY_STORE && !declared._dashboardFacts().healthProbed) {
    notes.push('No health probe key (`useHealthProbeKey()`): Available and the probe latency stay empty, and the XKS metrics have data only with traffic.');
  }
  return [`### ${kind}${name} (${store.customKeyStoreId})`, ...notes].join('\n\n');
}

/**
 * The store's alarms, read when the dashboard renders: those `addRecommendedAlarms()` made, even
 * after the dashboard, and those given. With none, a text says how to get them (CloudWatch wants
 * at least one alarm in an alarm status widget).
 */
class StoreAlarmsWidget extends cloudwatch.ConcreteWidget {
  constructor(
    private readonly store: IConstruct,
    private readonly given: readonly cloudwatch.IAlarm[],
    width: number,
    height: number,
  ) {
    super(width, height);
  }

  public toJson(): unknown[] {
    const alarms = [...new Set([...this.given, ...recommendedAlarmsOf(this.store)])];
    const widget =
      alarms.length === 0
        ? new cloudwatch.TextWidget({ markdown: 'No alarms for this store: `addRecommendedAlarms()` adds them to a store declared here, or give your own to the dashboard.', width: this.width, height: this.height })
        : new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: this.width, height: this.height });
    widget.position(this.x ?? 0, this.y ?? 0);
    return widget.toJson();
  }
}
