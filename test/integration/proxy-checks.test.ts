/**
 * KMS checks an external key store's proxy at CreateCustomKeyStore and UpdateCustomKeyStore,
 * through the bundled handler over HTTP with the real AWS SDK: a store cannot be declared before
 * its proxy is in service (not even with connected: false), a passing proxy condition is retried,
 * and a retried create adopts its own store whichever in-use exception KMS answers.
 */
import { callsOf, removeAssemblies, states, synth, World, world } from './harness';

let w: World | undefined;

afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

const reasonOf = (report: { events: Array<{ status: string; reason?: string }> }, status: string): string => report.events.find((e) => e.status === status)?.reason ?? '';

test('a store declared connected: false whose proxy is not in service is refused at create, with what to fix', async () => {
  w = await world({ proxies: { 'https://xks.example.com': { uriPath: '/other/kms/xks/v1' } } });
  const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com', connected: false }]));
  expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
  expect(reasonOf(report, 'CREATE_FAILED')).toMatch(
    /^XksProxyInvalidConfigurationException: .*\(creating custom key store 'xks'; no store was created\. KMS checks the proxy before it creates an external key store, even one declared connected: false, so the proxy must be in service first: .*proxyUriPath/,
  );
  expect(states(w.kms)).toEqual({});
});

test('a proxy that is unreachable for a moment at create: the create is tried again, and the store is made and connected', async () => {
  w = await world();
  w.kms.model.blipProxy('https://xks.example.com', 'unreachable', 2);
  const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com' }]));
  expect(report.stackStatus).toBe('CREATE_COMPLETE');
  expect(callsOf(w.kms, 0, 'CreateCustomKeyStore')).toEqual(['CreateCustomKeyStore:XksProxyUriUnreachableException', 'CreateCustomKeyStore:XksProxyUriUnreachableException', 'CreateCustomKeyStore:ok']);
  expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
});

test('an answer KMS cannot interpret for a moment at an update of the path: the update is tried again and applied', async () => {
  w = await world();
  await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com' }]));
  w.kms.model.blipProxy('https://xks.example.com', 'invalid-response', 1);
  const since = w.kms.calls.length;
  const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com', path: '/v2/kms/xks/v1' }]));
  expect(report.stackStatus).toBe('UPDATE_COMPLETE');
  expect(callsOf(w.kms, since, 'UpdateCustomKeyStore')).toEqual(['UpdateCustomKeyStore:XksProxyInvalidResponseException', 'UpdateCustomKeyStore:ok']);
  expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
});

test('a VPC endpoint service store: the answer is lost, the retry meets XksProxyUriEndpointInUse, and the store is adopted', async () => {
  w = await world();
  w.kms.dropNextAfterEffect.add('CreateCustomKeyStore');
  expect((await w.stack.deploy(synth([{ id: 'Vpc', name: 'vpc', kind: 'vpc' }]))).stackStatus).toBe('CREATE_COMPLETE');
  expect(callsOf(w.kms, 0, 'CreateCustomKeyStore')).toEqual(['CreateCustomKeyStore:dropped-after-effect', 'CreateCustomKeyStore:XksProxyUriEndpointInUseException']);
  expect(states(w.kms)).toEqual({ vpc: 'CONNECTED' });
});
