/**
 * The dashboard: which widgets each kind of store gets, with which metrics, as the dashboard body
 * CloudFormation receives (its tokens shown as `<Ref:...>` and `<GetAtt:...>`).
 */
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CustomKeyStore, CustomKeyStoreDashboard, CustomKeyStoreErrorCode, CustomKeyStoreErrors, CustomKeyStoreType, ICustomKeyStore } from '../../lib';
import { WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { cfnLint } from '../fixtures/checks';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, maskedTemplate, newStack, publicBackend } from '../fixtures/stacks';

interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly alarms?: string[];
    readonly metrics?: unknown[][];
    readonly annotations?: unknown;
  };
}

const NO_ALARMS = 'No alarms for this store: `addRecommendedAlarms()` adds them to a store declared here, or give your own to the dashboard.';

function externalStore(stack: Stack, id = 'Xks', props: { syncProxyCredential?: boolean; connected?: boolean } = {}): CustomKeyStore {
  return new CustomKeyStore(stack, id, { customKeyStoreName: `${id.toLowerCase()}-store`, backend: publicBackend(stack), ...props });
}

function hsmStore(stack: Stack, id = 'Hsm'): CustomKeyStore {
  return new CustomKeyStore(stack, id, { customKeyStoreName: `${id.toLowerCase()}-store`, backend: cloudHsmBackend(stack) });
}

/** A token of the body as a readable placeholder. */
function placeholder(part: unknown): string {
  const token = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
  if (token.Ref !== undefined) return `<Ref:${token.Ref}>`;
  if (token['Fn::GetAtt'] !== undefined) return `<GetAtt:${token['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(part)}`);
}

/** The widgets of the stack's one dashboard, in the order of the body. */
function widgetsOf(stack: Stack): Widget[] {
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0].Properties as { DashboardBody: unknown }).DashboardBody;
  const text = typeof body === 'string' ? body : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** Each widget as its type and title (or the start of its markdown). */
function outline(widgets: Widget[]): string[] {
  return widgets.map((w) => `${w.type}: ${w.properties.title ?? w.properties.markdown?.split('\n')[0] ?? ''}`);
}

function widget(widgets: Widget[], title: string): Widget {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget '${title}' in ${JSON.stringify(outline(widgets))}`);
  return found;
}

/** A widget's metrics: a plain metric as `namespace metricName dim=value... (label)`, a query as its expression. */
function metricsOf(w: Widget): string[] {
  return (w.properties.metrics ?? []).map((m) => {
    const options = m[m.length - 1] as { expression?: string; label?: string; stat?: string } | string;
    if (typeof options === 'object' && options.expression !== undefined) {
      return `${options.expression} (${options.label})`;
    }
    const plain = m.filter((x): x is string => typeof x === 'string');
    const [namespace, metricName, ...dims] = plain;
    const pairs: string[] = [];
    for (let i = 0; i < dims.length; i += 2) pairs.push(`${dims[i]}=${dims[i + 1]}`);
    const label = typeof options === 'object' ? ` (${options.label})` : '';
    return `${namespace} ${metricName} ${pairs.join(' ')}${label}`;
  });
}

/** Every line of the grid is filled: the widgets of each y sum to 24 units. */
function expectFullLines(widgets: Widget[]): void {
  const byY = new Map<number, number>();
  widgets.forEach((w) => byY.set(w.y, (byY.get(w.y) ?? 0) + w.width));
  expect([...new Set(byY.values())]).toEqual([24]);
}

function ref(store: CustomKeyStore): string {
  return placeholder(store.stack.resolve(store.customKeyStoreId));
}

describe('an external key store declared here', () => {
  const build = (): { stack: Stack; store: CustomKeyStore; alarms: cloudwatch.Alarm[]; own: cloudwatch.IAlarm } => {
    const stack = newStack();
    const store = externalStore(stack, 'Xks', { syncProxyCredential: true });
    const own = cloudwatch.Alarm.fromAlarmArn(stack, 'Own', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:payments-decrypt-errors`);
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [] }).addStore(store, [own]);
    // Added after the dashboard: the alarm widget still shows them.
    store.useHealthProbeKey(store.addKey('Probe', { xksKeyId: 'probe-key' }));
    const alarms = store.addRecommendedAlarms();
    return { stack, store, alarms, own };
  };

  test('widgets: header, alarms, connection, probe, the XKS proxy, the certificate and the credential', () => {
    const { stack, store } = build();
    const widgets = widgetsOf(stack);
    expect(outline(widgets)).toEqual([
      `text: ### External key store xks-store (${ref(store)})`,
      'alarm: Alarms',
      'metric: Connected and available (1 = yes)',
      'metric: Availability probe latency',
      'metric: Configuration drift',
      'metric: XKS proxy latency',
      'metric: XKS proxy errors',
      'metric: External key manager instances by state',
      'metric: XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)',
      'metric: XKS proxy credential: age in days',
      'metric: Proxy credential sync failed (1 = yes)',
    ]);
    expectFullLines(widgets);
    // The probe key given after the dashboard was made counts: no "no probe key" note.
    expect(widgets[0].properties.markdown).toBe(`### External key store xks-store (${ref(store)})`);
  });

  test('metrics: the watcher\'s, and KMS\'s XKS metrics over the whole store', () => {
    const { stack, store } = build();
    const widgets = widgetsOf(stack);
    const id = ref(store);
    expect(metricsOf(widget(widgets, 'Connected and available (1 = yes)'))).toEqual([
      `KmsCustomKeyStores Connected CustomKeyStoreId=${id} (Connected)`,
      `KmsCustomKeyStores Available CustomKeyStoreId=${id} (Available)`,
    ]);
    expect(metricsOf(widget(widgets, 'Availability probe latency'))).toEqual([`KmsCustomKeyStores ProbeLatency CustomKeyStoreId=${id} (Probe latency)`]);
    expect(metricsOf(widget(widgets, 'XKS proxy latency'))).toEqual([
      `SELECT AVG(XksProxyLatency) FROM SCHEMA("AWS/KMS", CustomKeyStoreId, KeySpec, KmsOperation, XksOperation) WHERE CustomKeyStoreId = '${id}' (Average)`,
      `SELECT MAX(XksProxyLatency) FROM SCHEMA("AWS/KMS", CustomKeyStoreId, KeySpec, KmsOperation, XksOperation) WHERE CustomKeyStoreId = '${id}' (Maximum)`,
    ]);
    expect(widget(widgets, 'XKS proxy latency').properties.annotations).toEqual({ horizontal: [{ value: 250, label: 'KMS gives up', yAxis: 'left' }] });
    const errorsSchema = 'SCHEMA("AWS/KMS", CustomKeyStoreId, ErrorType, ExceptionName, KeySpec, KmsOperation, XksOperation)';
    expect(metricsOf(widget(widgets, 'XKS proxy errors'))).toEqual([
      `SELECT SUM(XksProxyErrors) FROM ${errorsSchema} WHERE CustomKeyStoreId = '${id}' AND ErrorType = 'Retryable' (Retryable)`,
      `SELECT SUM(XksProxyErrors) FROM ${errorsSchema} WHERE CustomKeyStoreId = '${id}' AND ErrorType = 'Non-retryable' (Non-retryable)`,
    ]);
    expect(metricsOf(widget(widgets, 'External key manager instances by state'))).toEqual(
      ['Active', 'Degraded', 'Unavailable'].map((state) => `AWS/KMS XksExternalKeyManagerStates CustomKeyStoreId=${id} XksExternalKeyManagerState=${state} (${state})`),
    );
    expect(metricsOf(widget(widgets, 'XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)'))).toEqual([
      `SELECT MIN(XksProxyCertificateDaysToExpire) FROM SCHEMA("AWS/KMS", CertificateName, CustomKeyStoreId) WHERE CustomKeyStoreId = '${id}' (Days to expiry)`,
    ]);
    expect(metricsOf(widget(widgets, 'XKS proxy credential: age in days'))).toEqual([`AWS/KMS XksProxyCredentialAge CustomKeyStoreId=${id} (Age in days)`]);
    expect(metricsOf(widget(widgets, 'Proxy credential sync failed (1 = yes)'))).toEqual([`KmsCustomKeyStores ProxyCredentialSyncFailed CustomKeyStoreId=${id} (Sync failed)`]);
  });

  test('the alarm widget shows the recommended alarms, made after the dashboard, and the alarms given', () => {
    const { stack, alarms, own } = build();
    const arns = alarms.map((alarm) => placeholder(stack.resolve(alarm.alarmArn)));
    // The Guide's seven, the sync's, NotConnected, WatcherFailing, ConfigurationDrift and Unavailable (the store has a probe key).
    expect(arns).toHaveLength(12);
    expect(widget(widgetsOf(stack), 'Alarms').properties.alarms).toEqual([own.alarmArn, ...arns]);
  });

  test('turns the stack\'s connection watcher on for the store, as metricConnected() does', () => {
    const stack = newStack();
    const store = externalStore(stack);
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [store] });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [WATCHED_STORES_ENV]: Match.anyValue() } } } });
    const watchers = Object.values(functions) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
    expect(watchers.map((w) => w.Properties.Environment.Variables[WATCHED_STORES_ENV])).toEqual([{ 'Fn::Join': ['', ['["', stack.resolve(store.customKeyStoreId), '"]']] }]);
  });

  test('without a probe key or credential sync: a note says why Available is empty, and no sync graph', () => {
    const stack = newStack();
    const store = externalStore(stack);
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [store] });
    const widgets = widgetsOf(stack);
    expect(widgets[0].properties.markdown).toContain('No health probe key (`useHealthProbeKey()`): Available and the probe latency stay empty');
    expect(outline(widgets)).not.toContain('metric: Proxy credential sync failed (1 = yes)');
    expect(outline(widgets).slice(-2)).toEqual(['metric: XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)', 'metric: XKS proxy credential: age in days']);
    expectFullLines(widgets);
    expect(widget(widgets, 'XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)').width).toBe(12);
  });

  test('without alarms: a text says how to get them (an alarm status widget needs one)', () => {
    const stack = newStack();
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [externalStore(stack)] });
    const widgets = widgetsOf(stack);
    expect(widgets.filter((w) => w.type === 'alarm')).toEqual([]);
    expect(widgets[1]).toMatchObject({ type: 'text', width: 6, height: 6, properties: { markdown: NO_ALARMS } });
  });

  test('a store declared disconnected says so', () => {
    const stack = newStack();
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [externalStore(stack, 'Off', { connected: false })] });
    expect(widgetsOf(stack)[0].properties.markdown).toContain('Declared `connected: false`: Connected stays 0');
  });
});

describe('a CloudHSM key store declared here', () => {
  test('alarms, connection, probe and the cluster\'s unhealthy HSMs; none of the XKS metrics', () => {
    const stack = newStack();
    const store = hsmStore(stack);
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [store] });
    const alarms = store.addRecommendedAlarms();
    const widgets = widgetsOf(stack);
    expect(outline(widgets)).toEqual([
      `text: ### CloudHSM key store hsm-store (${ref(store)})`,
      'alarm: Alarms',
      'metric: Connected and available (1 = yes)',
      'metric: Availability probe latency',
      'metric: Configuration drift',
      'metric: Unhealthy HSMs of cluster-2a23b4cdefg',
    ]);
    expect(widgets.map((w) => w.width)).toEqual([24, 5, 5, 5, 5, 4]);
    expect(metricsOf(widget(widgets, 'Configuration drift'))).toEqual([
      `KmsCustomKeyStores ConfigurationDrift CustomKeyStoreId=${ref(store)} (Store drifted (1 = yes))`,
      `KmsCustomKeyStores DriftedKeys CustomKeyStoreId=${ref(store)} (Drifted keys)`,
    ]);
    expect(metricsOf(widget(widgets, 'Unhealthy HSMs of cluster-2a23b4cdefg'))).toEqual(['AWS/CloudHSM HsmUnhealthy ClusterId=cluster-2a23b4cdefg (HsmUnhealthy)']);
    expect(widget(widgets, 'Alarms').properties.alarms).toEqual(alarms.map((alarm) => placeholder(stack.resolve(alarm.alarmArn))));
    expect(JSON.stringify(widgets)).not.toMatch(/Xks|ExternalKeyStore/);
  });
});

describe('imported stores', () => {
  test('of unknown kind: what every store has, and a note on how to see more; no watcher made', () => {
    const stack = newStack();
    const store = CustomKeyStore.fromCustomKeyStoreId(stack, 'ById', 'cks-1234567890abcdef0');
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [store] });
    const widgets = widgetsOf(stack);
    expect(outline(widgets)).toEqual([
      'text: ### Custom key store (cks-1234567890abcdef0)',
      `text: ${NO_ALARMS}`,
      'metric: Connected and available (1 = yes)',
      'metric: Availability probe latency',
    ]);
    expect(widgets[0].properties.markdown).toContain('Imported: Connected, Available and the probe latency come from the connection watcher of the stack that declares the store');
    expect(widgets[0].properties.markdown).toContain('Kind unknown: import the store with its `customKeyStoreType`');
    expect(metricsOf(widget(widgets, 'Connected and available (1 = yes)'))).toEqual([
      'KmsCustomKeyStores Connected CustomKeyStoreId=cks-1234567890abcdef0 (Connected)',
      'KmsCustomKeyStores Available CustomKeyStoreId=cks-1234567890abcdef0 (Available)',
    ]);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('of a known kind: an external key store gets its XKS widgets (no sync graph), a CloudHSM key store no cluster graph', () => {
    const stack = newStack();
    const xks = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Xks', { customKeyStoreId: 'cks-1111111111abcdef0', customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE, customKeyStoreName: 'payments-xks' });
    const hsm = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'Hsm', { customKeyStoreId: 'cks-2222222222abcdef0', customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM });
    const own = cloudwatch.Alarm.fromAlarmArn(stack, 'Own', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:xks-errors`);
    const dashboard = new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [] });
    dashboard.addStore(xks, [own]);
    dashboard.addStore(hsm);
    const widgets = widgetsOf(stack);
    expect(outline(widgets)).toEqual([
      'text: ### External key store payments-xks (cks-1111111111abcdef0)',
      'alarm: Alarms',
      'metric: Connected and available (1 = yes)',
      'metric: Availability probe latency',
      'metric: XKS proxy latency',
      'metric: XKS proxy errors',
      'metric: External key manager instances by state',
      'metric: XKS proxy certificate: days to expiry (no value: store disconnected, or a wildcard certificate name, which KMS does not report)',
      'metric: XKS proxy credential: age in days',
      'text: ### CloudHSM key store (cks-2222222222abcdef0)',
      `text: ${NO_ALARMS}`,
      'metric: Connected and available (1 = yes)',
      'metric: Availability probe latency',
    ]);
    expect(widget(widgets, 'Alarms').properties.alarms).toEqual([own.alarmArn]);
    expect(widgets[0].properties.markdown).not.toContain('Kind unknown');
    expectFullLines(widgets);
  });
});

describe('the dashboard', () => {
  test('shows the alarms given above the stores, the stores in order, with its name and start', () => {
    const stack = newStack();
    const hsm = hsmStore(stack);
    const xks = externalStore(stack);
    const own = cloudwatch.Alarm.fromAlarmArn(stack, 'Own', `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:app`);
    new CustomKeyStoreDashboard(stack, 'Dashboard', { dashboardName: 'key-stores', start: '-PT6H', stores: [hsm, xks], alarms: [own] });
    const widgets = widgetsOf(stack);
    expect(widgets[0]).toMatchObject({ type: 'alarm', x: 0, y: 0, width: 24, properties: { title: 'Alarms', alarms: [own.alarmArn] } });
    const headers = widgets.filter((w) => w.type === 'text' && w.width === 24).map((w) => w.properties.markdown?.split(' (')[0]);
    expect(headers).toEqual(['### CloudHSM key store hsm-store', '### External key store xks-store']);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'key-stores' });
    const body = (Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'))[0].Properties as { DashboardBody: { 'Fn::Join': [string, unknown[]] } }).DashboardBody;
    expect(body['Fn::Join'][1][0]).toMatch(/^\{"start":"-PT6H","widgets":/);
  });

  test('period: every metric of every widget gets it', () => {
    const stack = newStack();
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [externalStore(stack, 'Xks', { syncProxyCredential: true }), hsmStore(stack)], period: Duration.minutes(15) });
    const periods = widgetsOf(stack).flatMap((w) => (w.properties.metrics ?? []).map((m) => (m[m.length - 1] as { period?: number }).period));
    expect(periods.length).toBeGreaterThan(15);
    expect(new Set(periods)).toEqual(new Set([900]));
  });

  test('period: refused unless whole minutes, naming the construct', () => {
    const stack = newStack();
    const store = externalStore(stack);
    const codeOf = (build: () => unknown): [string | undefined, string] => {
      try {
        build();
      } catch (error) {
        return [CustomKeyStoreErrors.codeOf(error), (error as Error).message];
      }
      throw new Error('expected a validation error');
    };
    expect(codeOf(() => new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [store], period: Duration.seconds(90) }))).toEqual([
      CustomKeyStoreErrorCode.INVALID_VALUE,
      'period: 1 minute 30 seconds is not a whole number of minutes; expected 1 minute or more, in whole minutes (the XKS proxy graphs are CloudWatch Metrics Insights queries, which aggregate by the minute) (at KeyStores/Dashboard)',
    ]);
    const [code, message] = codeOf(() => CustomKeyStoreDashboard.widgetsFor(store, { period: Duration.seconds(30) }));
    expect([code, message]).toEqual([CustomKeyStoreErrorCode.INVALID_VALUE, expect.stringMatching(/^period: 30 seconds is not a whole number of minutes.*\(at KeyStores\/Xks\)$/)]);
    expect(codeOf(() => CustomKeyStoreDashboard.widgetsFor(store, { period: Duration.minutes(Lazy.number({ produce: () => 5 })) }))).toEqual([
      CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED,
      "period: is a token; expected a literal Duration, because the widgets' metrics are fixed at synth time (at KeyStores/Xks)",
    ]);
    // The refused constructor declared no dashboard.
    expect(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')).toEqual({});
  });

  test('stores left out by a JavaScript caller: refused, naming the construct', () => {
    expect(() => new CustomKeyStoreDashboard(newStack(), 'Dashboard', {} as never)).toThrow('stores is required; expected an array of custom key stores (an empty one, to add them with addStore()) (at KeyStores/Dashboard)');
  });

  test('in a stack of its own, the stores\' ids and alarms cross as stack references', () => {
    const app = new App();
    const env = { account: ACCOUNT, region: 'us-east-1' };
    const stores = new Stack(app, 'Stores', { env });
    const store = externalStore(stores);
    store.addRecommendedAlarms();
    const monitoring = new Stack(app, 'Monitoring', { env });
    new CustomKeyStoreDashboard(monitoring, 'Dashboard', { stores: [store] });
    const body = JSON.stringify(Template.fromStack(monitoring).toJSON());
    expect(body).toContain('Fn::ImportValue');
    expect(Object.keys(Template.fromStack(stores).toJSON().Outputs as object).length).toBeGreaterThan(1);
  });
});

describe('widgetsFor', () => {
  test('the same widgets for a dashboard of your own, which lays them out as the construct does', () => {
    const ownStack = newStack();
    const store = externalStore(ownStack);
    const dashboard = new cloudwatch.Dashboard(ownStack, 'Mine');
    dashboard.addWidgets(...CustomKeyStoreDashboard.widgetsFor(store));
    const mine = widgetsOf(ownStack);

    const stack = newStack();
    new CustomKeyStoreDashboard(stack, 'Dashboard', { stores: [externalStore(stack)] });
    expect(mine).toEqual(widgetsOf(stack));
    expectFullLines(mine);
  });

  test('takes any ICustomKeyStore', () => {
    const stack = newStack();
    const store: ICustomKeyStore = CustomKeyStore.fromCustomKeyStoreId(stack, 'ById', 'cks-1234567890abcdef0');
    expect(CustomKeyStoreDashboard.widgetsFor(store).map((w) => w.width)).toEqual([24, 24]);
  });
});

describe('the dashboard of a stack with both kinds of store and their alarms', () => {
  const build = (): Stack => {
    const stack = newStack();
    const hsm = hsmStore(stack);
    const xks = externalStore(stack, 'Xks', { syncProxyCredential: true });
    xks.useHealthProbeKey(xks.addKey('Probe', { xksKeyId: 'probe-key' }));
    hsm.addRecommendedAlarms();
    xks.addRecommendedAlarms();
    new CustomKeyStoreDashboard(stack, 'Dashboard', { dashboardName: 'key-stores', stores: [hsm, xks] });
    return stack;
  };

  test('passes cfn-lint (W3005 aside: aws-cdk-lib\'s own DependsOn)', () => {
    const findings = cfnLint(build());
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
    expect([...new Set(findings.map((f) => f.Rule.Id))].filter((id) => id !== 'W3005')).toEqual([]);
  });

  test('snapshot (asset hashes masked)', () => {
    expect(maskedTemplate(build())).toMatchSnapshot();
  });
});
