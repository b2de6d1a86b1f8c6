/**
 * KMS checks an external key store's proxy at CreateCustomKeyStore and UpdateCustomKeyStore: a
 * passing condition (unreachable, invalid response) is tried again within waitTimeout; every other
 * refusal fails at once with what to fix; a retried create adopts its own store whichever in-use
 * exception KMS answers.
 */
import { CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { createEvent, externalProps, updateEvent, withResult } from '../../fixtures/events';
import { awsError, harness, kmsMock, resetMocks, store } from './harness';

const ID = 'cks-1234567890abcdef0';
const T0 = Date.parse('2026-11-22T12:00:00Z');

beforeEach(resetMocks);

describe('create', () => {
  test.each(['XksProxyUriUnreachableException', 'XksProxyInvalidResponseException'])('%s, a passing proxy condition, is tried again until the proxy answers', async (name) => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejectsOnce(awsError(name, 'proxy')).rejectsOnce(awsError(name, 'proxy')).resolves({ CustomKeyStoreId: ID });
    const h = harness();
    expect((await h.onEvent(createEvent(externalProps()))).PhysicalResourceId).toBe(ID);
    expect(kmsMock).toHaveReceivedCommandTimes(CreateCustomKeyStoreCommand, 3);
    expect(h.logs.filter((l) => l.includes('"step":"proxy-check-retry"'))).toHaveLength(2);
  });

  test('a proxy that stays unreachable fails once the wait is over, saying the proxy must be in service before the store is created', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('XksProxyUriUnreachableException', 'KMS was unable to reach the specified XksProxyUriPath.'));
    const h = harness();
    await expect(h.onEvent(createEvent(externalProps({ WaitTimeoutSeconds: '60' })))).rejects.toThrow(
      /^XksProxyUriUnreachableException: KMS was unable to reach the specified XksProxyUriPath\. \(creating custom key store 'payments-xks'; no store was created\. KMS checks the proxy before it creates an external key store, even one declared connected: false, so the proxy must be in service first: .*Put the proxy in service/,
    );
    // Bounded by waitTimeout (60 s): pauses of 1, 2, 4, 8 and 16 s, then the next (30 s) would pass the deadline.
    expect(kmsMock).toHaveReceivedCommandTimes(CreateCustomKeyStoreCommand, 6);
    expect(h.now - T0).toBe(31_000);
  });

  test.each([
    ['XksProxyIncorrectAuthenticationCredentialException', /the proxy rejected the credential in proxyCredential's secret/],
    ['XksProxyInvalidConfigurationException', /the proxy is not configured correctly/],
    ['XksProxyVpcEndpointServiceNotFoundException', /Check vpcEndpointServiceName .* cks\.kms\.<region>\.amazonaws\.com/],
    ['XksProxyVpcEndpointServiceInvalidConfigurationException', /does not meet the requirements for an external key store/],
  ])('%s fails at once with what to fix', async (name, advice) => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError(name, 'refused'));
    const outcome = harness().onEvent(createEvent(externalProps()));
    await expect(outcome).rejects.toThrow(new RegExp(`^${name}: refused \\(creating custom key store 'payments-xks'; no store was created\\. KMS checks the proxy before it creates`));
    await expect(harness().onEvent(createEvent(externalProps()))).rejects.toThrow(advice);
    expect(kmsMock).toHaveReceivedCommandTimes(CreateCustomKeyStoreCommand, 2);
  });

  test('XksProxyUriEndpointInUse from the first attempt\'s store is adopted', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('XksProxyUriEndpointInUseException', 'in use'));
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-xks' }).resolves({
      CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreName: 'payments-xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyConfiguration: { UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1' } })],
    });
    const h = harness();
    expect((await h.onEvent(createEvent(externalProps()))).PhysicalResourceId).toBe(ID);
    expect(h.logs.join('\n')).toMatch(/"step":"adopted"/);
  });

  test('XksProxyUriEndpointInUse from someone else\'s store names the rule', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('XksProxyUriEndpointInUseException', 'in use'));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    await expect(harness().onEvent(createEvent(externalProps()))).rejects.toThrow(/^XksProxyUriEndpointInUseException: in use \(.*needs an endpoint \(the private DNS name of its VPC endpoint service\) of its own/);
  });
});

describe('update', () => {
  const pathChange = updateEvent(ID, externalProps(), externalProps({ XksProxyUriPath: '/other/kms/xks/v1' }));
  const connected = (): void => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [store(ID, 'CONNECTED', { CustomKeyStoreName: 'payments-xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyConfiguration: { UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1', Connectivity: 'PUBLIC_ENDPOINT' } })],
    });
  };

  test('onEvent tries an update again while the proxy check meets a passing condition', async () => {
    connected();
    kmsMock.on(UpdateCustomKeyStoreCommand).rejectsOnce(awsError('XksProxyInvalidResponseException', 'garbled')).resolves({});
    await harness().onEvent(pathChange);
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 2);
  });

  test('a refusal no passing condition explains fails the update at once, saying the change was not applied', async () => {
    connected();
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('XksProxyInvalidConfigurationException', 'wrong path'));
    await expect(harness().onEvent(pathChange)).rejects.toThrow(/^XksProxyInvalidConfigurationException: wrong path \(updating custom key store .*the update was not applied\. KMS checks the proxy with the new settings before it applies them/);
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
  });

  test('isComplete takes a passing condition at its offline update for "not yet", and polls again', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreName: 'payments-xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })] });
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('XksProxyUriUnreachableException', 'unreachable'));
    const endpointChange = updateEvent(ID, externalProps(), externalProps({ XksProxyUriEndpoint: 'https://xks2.example.com' }));
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: false, StartedAt: new Date(T0 - 60_000).toISOString() });
    expect((await harness().isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
  });
});
