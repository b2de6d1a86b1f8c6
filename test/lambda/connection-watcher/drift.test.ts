/** The watcher's configuration drift check with aws-sdk-client-mock: the declarations read from SSM against what KMS shows. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, GenerateRandomCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { handler as watcherHandler } from '../../../lambda/connection-watcher/index';
import { watchConnections } from '../../../lambda/connection-watcher/watch';
import { DECLARED_CONFIGURATION_PATH_ENV, DeclaredKey, DeclaredStore, WATCHED_STORES_ENV } from '../../../lib/private/contract/operations-metrics';
import { awsError, kmsMock } from '../aws-mocks';
import { AT, cwMock, logs, published, resetOperationMocks, retry, ssmMock, store } from '../operations-fixtures';

const PATH = '/cdk-kms-custom-key-store/declared/Stack';
const CANARY = 'CANARY-secret-access-key-0123456789abcdef';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG\n-----END CERTIFICATE-----\n';

const xks: DeclaredStore = { kind: 'store', storeId: 'cks-x', name: 'xks', type: 'EXTERNAL_KEY_STORE', uriEndpoint: 'https://proxy.example.com', uriPath: '/kms/xks/v1', connectivity: 'VPC_ENDPOINT_SERVICE', vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-1', vpcEndpointServiceOwner: '111122223333' };
const hsm: DeclaredStore = { kind: 'store', storeId: 'cks-h', name: 'hsm', type: 'AWS_CLOUDHSM', clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: PEM };
const key: DeclaredKey = { kind: 'key', storeId: 'cks-h', keyId: 'key-1', enabled: 'true', description: 'orders' };

const shownXks = (extra: Record<string, string> = {}): ReturnType<typeof store> =>
  store('cks-x', 'CONNECTED', {
    CustomKeyStoreName: 'xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConfiguration: { UriEndpoint: 'https://proxy.example.com', UriPath: '/kms/xks/v1', Connectivity: 'VPC_ENDPOINT_SERVICE', VpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-1', VpcEndpointServiceOwner: '111122223333', AccessKeyId: 'AKIAEXAMPLE', ...extra },
  });
const shownHsm = (extra: Partial<ReturnType<typeof store>> = {}): ReturnType<typeof store> =>
  store('cks-h', 'CONNECTED', { CustomKeyStoreName: 'hsm', CustomKeyStoreType: 'AWS_CLOUDHSM', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: PEM.replace(/\n/g, '\r\n'), ...extra });

const ssm = new SSMClient({ region: 'us-east-1' });
const deps = (): Parameters<typeof watchConnections>[1] => ({ kms: new KMSClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), retry, log: (l) => logs.push(l), now: () => AT, declarations: { ssm, path: PATH } });

/** The declarations over two pages, as GetParametersByPath may return them. */
function declare(...values: Array<DeclaredStore | DeclaredKey | string>): void {
  const params = values.map((v, i) => ({ Name: `${PATH}/p${i}`, Value: typeof v === 'string' ? v : JSON.stringify(v) }));
  ssmMock
    .on(GetParametersByPathCommand, { Path: PATH, NextToken: undefined })
    .resolves({ Parameters: params.slice(0, 1), NextToken: 't2' })
    .on(GetParametersByPathCommand, { Path: PATH, NextToken: 't2' })
    .resolves({ Parameters: params.slice(1) });
}

const driftLines = (): Array<Record<string, unknown>> => logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'configurationDrift' in l);

beforeEach(() => {
  resetOperationMocks();
  ssmMock.reset();
  kmsMock.on(GenerateRandomCommand).resolves({});
  kmsMock.on(DescribeKeyCommand, { KeyId: 'key-1' }).resolves({ KeyMetadata: { KeyId: 'key-1', KeyState: 'Enabled', Description: 'orders' } });
});

describe('configuration drift', () => {
  test('stores and keys as declared publish ConfigurationDrift 0 and DriftedKeys 0, reading every page of the declarations, with one DescribeKey per declared key and no other KMS call', async () => {
    declare(xks, hsm, key);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks(), shownHsm()] });
    const report = await watchConnections(['cks-x', 'cks-h'], deps());
    expect(published().filter((d) => /Drift/.test(d))).toEqual([
      'ConfigurationDrift{CustomKeyStoreId=cks-x}=0',
      'DriftedKeys{CustomKeyStoreId=cks-x}=0',
      'ConfigurationDrift{CustomKeyStoreId=cks-h}=0',
      'DriftedKeys{CustomKeyStoreId=cks-h}=0',
    ]);
    expect(ssmMock.commandCalls(GetParametersByPathCommand).map((c) => c.args[0].input)).toEqual([
      { Path: PATH, Recursive: false, MaxResults: 10 },
      { Path: PATH, Recursive: false, MaxResults: 10, NextToken: 't2' },
    ]);
    // DescribeCustomKeyStores, GenerateRandom for the CloudHSM store, DescribeKey for its declared key.
    expect(report.kmsCalls).toBe(3);
    expect(kmsMock.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(driftLines()).toEqual([]);
  });

  test('a renamed store and a changed proxy path are drift, logged with the field names and both values', async () => {
    declare(xks);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ...shownXks({ UriPath: '/other/kms/xks/v1' }), CustomKeyStoreName: 'renamed' }] });
    await watchConnections(['cks-x'], deps());
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-x}=1');
    expect(driftLines()).toEqual([
      {
        configurationDrift: 'cks-x',
        name: 'renamed',
        fields: [
          { field: 'CustomKeyStoreName', declared: 'xks', actual: 'renamed' },
          { field: 'XksProxyUriPath', declared: '/kms/xks/v1', actual: '/other/kms/xks/v1' },
        ],
        keys: [],
      },
    ]);
  });

  test('a CloudHSM store on another cluster or trust anchor is drift; the certificate is named by fingerprint, and its line breaks do not count', async () => {
    declare(hsm);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownHsm({ CloudHsmClusterId: 'cluster-other', TrustAnchorCertificate: PEM.replace('MIIB', 'MIIC') })] });
    await watchConnections(['cks-h'], deps());
    const [line] = driftLines();
    expect((line.fields as Array<{ field: string; declared: string }>).map((f) => f.field)).toEqual(['CloudHsmClusterId', 'TrustAnchorCertificate']);
    expect(JSON.stringify(line)).toMatch(/"declared":"sha256:[0-9a-f]{16}","actual":"sha256:[0-9a-f]{16}"/);
  });

  test('a key the stack declares enabled that is disabled, pending deletion or described otherwise is key drift, counted in DriftedKeys', async () => {
    const key2: DeclaredKey = { kind: 'key', storeId: 'cks-h', keyId: 'key-2', enabled: 'true' };
    const key3: DeclaredKey = { kind: 'key', storeId: 'cks-h', keyId: 'key-3', enabled: 'false' };
    declare(hsm, key, key2, key3);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownHsm()] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: 'key-1' })
      .resolves({ KeyMetadata: { KeyId: 'key-1', KeyState: 'Disabled', Description: 'changed' } })
      .on(DescribeKeyCommand, { KeyId: 'key-2' })
      .resolves({ KeyMetadata: { KeyId: 'key-2', KeyState: 'PendingDeletion', Description: '' } })
      .on(DescribeKeyCommand, { KeyId: 'key-3' })
      .resolves({ KeyMetadata: { KeyId: 'key-3', KeyState: 'Disabled', Description: '' } });
    await watchConnections(['cks-h'], deps());
    expect(published().filter((d) => /Drift/.test(d))).toEqual(['ConfigurationDrift{CustomKeyStoreId=cks-h}=1', 'DriftedKeys{CustomKeyStoreId=cks-h}=2']);
    expect(driftLines()[0]).toEqual({
      configurationDrift: 'cks-h',
      name: 'hsm',
      fields: [],
      keys: [
        {
          keyId: 'key-1',
          differences: [
            { field: 'KeyState', declared: 'Enabled', actual: 'Disabled' },
            { field: 'Description', declared: 'orders', actual: 'changed' },
          ],
        },
        { keyId: 'key-2', differences: [{ field: 'KeyState', declared: 'Enabled', actual: 'PendingDeletion' }] },
      ],
    });
  });

  test('an Unavailable key (store disconnected), a key KMS does not show yet, or a refused DescribeKey is not drift', async () => {
    const key2: DeclaredKey = { kind: 'key', storeId: 'cks-h', keyId: 'key-2', enabled: 'true' };
    const key3: DeclaredKey = { kind: 'key', storeId: 'cks-h', keyId: 'key-3', enabled: 'true' };
    declare(hsm, key, key2, key3);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownHsm()] });
    kmsMock
      .on(DescribeKeyCommand, { KeyId: 'key-1' })
      .resolves({ KeyMetadata: { KeyId: 'key-1', KeyState: 'Unavailable', Description: 'orders' } })
      .on(DescribeKeyCommand, { KeyId: 'key-2' })
      .rejects(awsError('NotFoundException', 'not found'))
      .on(DescribeKeyCommand, { KeyId: 'key-3' })
      .rejects(awsError('AccessDeniedException', 'no'));
    await watchConnections(['cks-h'], deps());
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-h}=0');
    expect(logs.join('\n')).toContain('"keyNotCompared":"key-2","store":"cks-h","exceptionName":"NotFoundException"');
  });

  test('a store CONNECTING or DISCONNECTING (an offline update under way), one not found, or one without a declaration publishes no drift', async () => {
    declare(xks, { ...hsm, storeId: 'cks-c' });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ...shownXks(), ConnectionState: 'DISCONNECTING', CustomKeyStoreName: 'new' }, store('cks-undeclared', 'CONNECTED')] });
    await watchConnections(['cks-x', 'cks-c', 'cks-undeclared'], deps());
    expect(published().filter((d) => /Drift/.test(d))).toEqual([]);
  });

  test('declarations that cannot be read cost the drift metrics only: Connected is still published, and the reason logged', async () => {
    ssmMock.on(GetParametersByPathCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks()] });
    await watchConnections(['cks-x'], deps());
    expect(published()).toEqual(['Connected{CustomKeyStoreId=cks-x}=1']);
    expect(logs[0]).toBe(JSON.stringify({ declarationsNotRead: PATH, exceptionName: 'AccessDeniedException' }));
  });

  test('an unreadable declaration is logged by name and skipped', async () => {
    declare('not json', xks);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks()] });
    await watchConnections(['cks-x'], deps());
    expect(logs[0]).toBe(JSON.stringify({ unreadableDeclaration: `${PATH}/p0` }));
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-x}=0');
  });

  test('no secret in any log line or metric: a canary where KMS could only ever show a credential never leaves the watcher', async () => {
    declare(xks);
    const shown = shownXks({ UriEndpoint: 'https://moved.example.com' });
    // A field KMS does not have, as a response that carried a secret would: it must not be copied anywhere.
    Object.assign(shown.XksProxyConfiguration as object, { RawSecretAccessKey: CANARY });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shown] });
    await watchConnections(['cks-x'], deps());
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-x}=1');
    const everything = logs.join('\n') + JSON.stringify(cwMock.calls().map((c) => c.args[0].input));
    expect(everything).not.toContain(CANARY);
    // The access key id is not declared here (a synced store's): neither compared nor logged.
    expect(everything).not.toContain('AKIAEXAMPLE');
  });

  test('a proxy credential changed outside the stack is drift, its access key ids logged by their last four characters only', async () => {
    declare({ ...xks, proxyAccessKeyId: 'AKIADECLARED2345' });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks({ AccessKeyId: 'AKIACHANGED67' })] });
    await watchConnections(['cks-x'], deps());
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-x}=1');
    expect(driftLines()[0].fields).toEqual([{ field: 'XksProxyAccessKeyId', declared: '…2345', actual: '…ED67' }]);
    const everything = logs.join('\n') + JSON.stringify(cwMock.calls().map((c) => c.args[0].input));
    expect(everything).not.toContain('AKIADECLARED2345');
    expect(everything).not.toContain('AKIACHANGED67');
  });

  test('the declared access key id as KMS shows it is no drift', async () => {
    declare({ ...xks, proxyAccessKeyId: 'AKIAEXAMPLE' });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks()] });
    await watchConnections(['cks-x'], deps());
    expect(published()).toContain('ConfigurationDrift{CustomKeyStoreId=cks-x}=0');
  });

  test('the Lambda entry point reads the declarations path from its environment, and checks no drift without it', async () => {
    process.env[WATCHED_STORES_ENV] = JSON.stringify(['cks-x']);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [shownXks()] });
    declare(xks);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect((await watcherHandler()).stores).toEqual([{ id: 'cks-x', state: 'CONNECTED' }]);
      expect(ssmMock.commandCalls(GetParametersByPathCommand)).toHaveLength(0);
      process.env[DECLARED_CONFIGURATION_PATH_ENV] = PATH;
      expect((await watcherHandler()).stores).toEqual([{ id: 'cks-x', state: 'CONNECTED', configurationDrift: 0, driftedKeys: 0 }]);
    } finally {
      log.mockRestore();
      Reflect.deleteProperty(process.env, WATCHED_STORES_ENV);
      Reflect.deleteProperty(process.env, DECLARED_CONFIGURATION_PATH_ENV);
    }
  });
});
