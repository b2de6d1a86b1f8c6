/**
 * adoptExisting over HTTP: a store made by hand with the SDK against the local endpoint is taken
 * over by a stack, refused when it is another kind of store, and given back as it was when the
 * deployment rolls back.
 */
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, CreateCustomKeyStoreCommandInput, CreateKeyCommand } from '@aws-sdk/client-kms';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, CANARY_SECRET_KEY } from '../fixtures/events';
import { kmsClient, OTHER_TRUST_ANCHOR, removeAssemblies, SECRETS, states, synth, TRUST_ANCHOR, World, world } from './harness';

let w: World | undefined;

afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

const CREDENTIAL = { AccessKeyId: CANARY_ACCESS_KEY_ID, RawSecretAccessKey: CANARY_SECRET_KEY };
const BY_HAND: Record<'hsm' | 'xks' | 'vpc', CreateCustomKeyStoreCommandInput> = {
  hsm: { CustomKeyStoreName: 'hsm', CustomKeyStoreType: 'AWS_CLOUDHSM', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: CANARY_PASSWORD },
  xks: { CustomKeyStoreName: 'xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyUriEndpoint: 'https://xks.example.com', XksProxyUriPath: '/kms/xks/v1', XksProxyConnectivity: 'PUBLIC_ENDPOINT', XksProxyAuthenticationCredential: CREDENTIAL },
  vpc: {
    CustomKeyStoreName: 'vpc',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: 'https://vpc.example.com',
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
    XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0vpc',
    XksProxyAuthenticationCredential: CREDENTIAL,
  },
};

/** Makes a store as an operator would, with the SDK; connects it and waits (on the endpoint's clock) when asked. */
async function byHand(input: CreateCustomKeyStoreCommandInput, connect: boolean): Promise<string> {
  if (!w) throw new Error('no world');
  const kms = kmsClient(w.kms);
  const id = (await kms.send(new CreateCustomKeyStoreCommand(input))).CustomKeyStoreId ?? '';
  if (connect) {
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    w.kms.clock.advance(1000);
    expect(states(w.kms)[input.CustomKeyStoreName ?? '']).toBe('CONNECTED');
  }
  return id;
}

const CHANGING = new Set(['UpdateCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'DeleteCustomKeyStore']);

/** From now on, every call that would change store `id`, by operation name, in order. */
function watchChanges(id: string): string[] {
  const seen: string[] = [];
  if (w) {
    w.kms.beforeOperation = (operation, body) => {
      if (CHANGING.has(operation) && body.CustomKeyStoreId === id) seen.push(operation);
    };
  }
  return seen;
}

/** Whether the stack's adoption record of store `id` is in Parameter Store. */
function hasRecord(id: string): boolean {
  try {
    w?.kms.ssm.GetParameter({ Name: `/cdk-kms-custom-key-store/adopted/KeyStoresIntegration/${id}` });
    return true;
  } catch {
    return false;
  }
}

describe('adoption of each store type', () => {
  test.each([
    ['a CloudHSM store, CONNECTED', 'hsm', true],
    ['an external store with a public endpoint, DISCONNECTED', 'xks', false],
    ['an external store with a VPC endpoint service, DISCONNECTED', 'vpc', false],
  ] as const)('%s: the stack takes it over with its id, connects it as declared, and sends it no secret', async (_name, kind, connected) => {
    w = await world();
    const id = await byHand(BY_HAND[kind], connected);
    const since = w.kms.calls.length;
    const report = await w.stack.deploy(synth([{ id: kind === 'hsm' ? 'Hsm' : kind === 'xks' ? 'Xks' : 'Vpc', name: kind, kind, adoptExisting: true }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(w.stack.keyStoreIds()).toEqual([id]);
    expect(states(w.kms)).toEqual({ [kind]: 'CONNECTED' });
    const made = w.kms.calls.slice(since).filter((c) => ['CreateCustomKeyStore', 'UpdateCustomKeyStore'].includes(c.operation));
    expect(made).toEqual([]);
    expect(w.kms.calls.slice(since).filter((c) => c.operation === 'ConnectCustomKeyStore')).toHaveLength(connected ? 0 : 1);
    expect(hasRecord(id)).toBe(true);
  });

  test('keys already in an adopted store block its delete as any key does, and the failure names them', async () => {
    w = await world();
    const id = await byHand(BY_HAND.hsm, true);
    const key = (await kmsClient(w.kms).send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).KeyMetadata?.KeyId ?? '';
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', adoptExisting: true }]))).stackStatus).toBe('CREATE_COMPLETE');
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    expect(report.events.find((e) => e.status === 'DELETE_FAILED')?.reason).toMatch(new RegExp(`^CustomKeyStoreHasCMKsException: custom key store ${id} \\('hsm'\\) still holds 1 KMS key, so it was not deleted: ${key} \\(Enabled`));
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('after adoption the removal policy applies: cdk destroy of a DESTROY store without keys deletes the store', async () => {
    w = await world();
    const id = await byHand(BY_HAND.xks, true);
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', adoptExisting: true }]));
    const changes = watchChanges(id);
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
    expect(states(w.kms)).toEqual({});
    expect(changes).toEqual(['DisconnectCustomKeyStore', 'DeleteCustomKeyStore']);
    expect(hasRecord(id)).toBe(false);
  });
});

describe('values KMS never shows', () => {
  test('adoptSendsSecrets: kmsuser\'s new password, set in the cluster by an operator, is sent once and the store connects with it', async () => {
    w = await world();
    const id = await byHand(BY_HAND.hsm, false);
    w.kms.model.setKmsUserPassword('cluster-2a23b4cdefg', SECRETS['it/kmsuser-v2']);
    const changes = watchChanges(id);
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2', adoptExisting: true, adoptSendsSecrets: true }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(changes).toEqual(['UpdateCustomKeyStore', 'ConnectCustomKeyStore']);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('without adoptSendsSecrets the password is not sent: the store connects with the one it holds', async () => {
    w = await world();
    const id = await byHand(BY_HAND.hsm, false);
    const changes = watchChanges(id);
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2', adoptExisting: true }]))).stackStatus).toBe('CREATE_COMPLETE');
    expect(changes).toEqual(['ConnectCustomKeyStore']);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });
});

describe('a mismatched adoption', () => {
  test('another trust anchor: refused with AdoptionMismatch before any change; the store is as it was', async () => {
    w = await world();
    const id = await byHand(BY_HAND.hsm, true);
    const since = w.kms.calls.length;
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', trustAnchor: OTHER_TRUST_ANCHOR, adoptExisting: true }]));
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(
      new RegExp(`^AdoptionMismatch: custom key store ${id} \\('hsm'\\) exists, but it is not the store declared: TrustAnchorCertificate differs from the declared certificate\\. Nothing was changed; the store is CONNECTED\\.`),
    );
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
    expect(w.kms.calls.slice(since).filter((c) => c.operation !== 'DescribeCustomKeyStores' && c.operation.includes('CustomKeyStore'))).toEqual([]);
    expect(hasRecord(id)).toBe(false);
  });

  test('another proxy path: refused before any change', async () => {
    w = await world();
    await byHand(BY_HAND.xks, false);
    const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', path: '/other/kms/xks/v1', adoptExisting: true }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/^AdoptionMismatch: .*XksProxyUriPath is \/kms\/xks\/v1, declared \/other\/kms\/xks\/v1\. Nothing was changed; the store is DISCONNECTED/);
    expect(states(w.kms)).toEqual({ xks: 'DISCONNECTED' });
    expect(w.kms.count('UpdateCustomKeyStore') + w.kms.count('ConnectCustomKeyStore') + w.kms.count('DeleteCustomKeyStore')).toBe(0);
  });
});

describe('the rollback of an adoption', () => {
  test('a connected store adopted as connected: false, then a later failure: the rollback reconnects it and never deletes it', async () => {
    w = await world({ proxies: { 'https://bad.example.com': { deniesKms: true } } });
    const id = await byHand(BY_HAND.hsm, true);
    const changes = watchChanges(id);
    const report = await w.stack.deploy(
      synth([
        { id: 'Hsm', name: 'hsm', kind: 'hsm', connected: false, adoptExisting: true },
        { id: 'Bad', name: 'bad', kind: 'xks', endpoint: 'https://bad.example.com', dependsOn: 'Hsm' },
      ]),
    );
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/XKS_PROXY_ACCESS_DENIED/);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
    expect(w.kms.model.storeSnapshot().map((s) => s.id)).toEqual([id]);
    // Disconnected as declared, then reconnected by the rollback; never deleted.
    expect(changes).toEqual(['DisconnectCustomKeyStore', 'ConnectCustomKeyStore']);
    expect(hasRecord(id)).toBe(false);
  });

  test('a DISCONNECTED store adopted as connected: the rollback leaves it DISCONNECTED, and a retried deploy adopts it again', async () => {
    w = await world({ proxies: { 'https://bad.example.com': { deniesKms: true } } });
    const id = await byHand(BY_HAND.xks, false);
    const changes = watchChanges(id);
    const stores = [
      { id: 'Xks', name: 'xks', kind: 'xks' as const, adoptExisting: true },
      { id: 'Bad', name: 'bad', kind: 'xks' as const, endpoint: 'https://bad.example.com', dependsOn: 'Xks' },
    ];
    expect((await w.stack.deploy(synth(stores))).stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(states(w.kms)).toEqual({ xks: 'DISCONNECTED' });
    // Connected as declared, disconnected again by the rollback; never deleted.
    expect(changes).toEqual(['ConnectCustomKeyStore', 'DisconnectCustomKeyStore']);
    expect(hasRecord(id)).toBe(false);
    // The runner deploys over the rolled-back stack (cdk deploy deletes a ROLLBACK_COMPLETE stack and creates it again).
    expect((await w.stack.deploy(synth(stores.slice(0, 1)))).stackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
    expect(w.stack.keyStoreIds()).toEqual([id]);
    expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
  });
});
