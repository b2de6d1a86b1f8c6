/** A store's Update of an external key store's connection settings, which take up to five minutes to take effect. */
import { ConnectionErrorCodeType, DescribeCustomKeyStoresCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { externalProps, updateEvent, withResult } from '../../fixtures/events';
import { harness, kmsCalls, kmsMock, resetMocks, store } from './harness';

const ID = 'cks-1234567890abcdef0';
const T0 = Date.parse('2026-11-22T12:00:00Z');

beforeEach(resetMocks);

describe('external key store changes take up to five minutes to take effect', () => {
  const endpointChange = updateEvent(ID, externalProps(), externalProps({ XksProxyUriEndpoint: 'https://xks2.example.com' }));
  const xksStore = (state: string, code?: ConnectionErrorCodeType): void => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        store(ID, state, {
          CustomKeyStoreName: 'payments-xks',
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          XksProxyConfiguration: { UriEndpoint: 'https://xks2.example.com', UriPath: '/payments/kms/xks/v1', Connectivity: 'PUBLIC_ENDPOINT' },
          ...(code ? { ConnectionErrorCode: code } : {}),
        }),
      ],
    });
  };

  test('a connect that fails soon after the change is retried: disconnect, then connect again', async () => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const h = harness();
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 60_000).toISOString() });
    expect((await h.isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(h.logs.join('\n')).toMatch(/"step":"retry-connect-after-xks-change"/);
  });

  test('after the propagation window the failure is final, with the external store\'s advice', async () => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 7 * 60_000).toISOString() });
    await expect(harness().isComplete(event)).rejects.toThrow(/ConnectionErrorCode XKS_PROXY_NOT_REACHABLE\): KMS cannot reach the XKS proxy/);
  });

  test.each([
    ['5 min 59 s after the change, waitTimeout 45 min: retried', 359, '2700', undefined],
    ['6 min 1 s after the change: final', 361, '2700', /ConnectionErrorCode XKS_PROXY_NOT_REACHABLE/],
    ['3 min after the change, waitTimeout 2 min: final (the wait\'s deadline comes first)', 180, '120', /^WaitTimedOut: /],
  ])('the propagation window is six minutes, within waitTimeout: %s', async (_name, secondsAgo, waitTimeout, final) => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const change = updateEvent(ID, externalProps({ WaitTimeoutSeconds: waitTimeout }), externalProps({ WaitTimeoutSeconds: waitTimeout, XksProxyUriEndpoint: 'https://xks2.example.com' }));
    const event = withResult(change, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - secondsAgo * 1000).toISOString() });
    const outcome = harness().isComplete(event);
    if (final) {
      await expect(outcome).rejects.toThrow(final);
      expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    } else {
      expect((await outcome).IsComplete).toBe(false);
      expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    }
  });

  test('a failure no stale setting explains (INTERNAL_ERROR) is not retried', async () => {
    xksStore('FAILED', 'INTERNAL_ERROR');
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 60_000).toISOString() });
    await expect(harness().isComplete(event)).rejects.toThrow(/INTERNAL_ERROR/);
  });

  test('switching connectivity without a new endpoint fails before the store is touched', async () => {
    const vpc = { XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' };
    await expect(harness().onEvent(updateEvent(ID, externalProps(), externalProps(vpc)))).rejects.toThrow(/^InvalidConnectivityChange: .* Nothing was changed\./);
    expect(kmsCalls()).toEqual([]);
  });
});
