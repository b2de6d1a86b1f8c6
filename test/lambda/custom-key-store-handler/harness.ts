/** The handler with its AWS clients replaced by aws-sdk-client-mock, no real sleeps, and its log captured. */
import {
  CustomKeyStoresListEntry,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { CloudFormationClient, DescribeStacksCommand, StackStatus } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { IsCompleteResult, KeyStoreEvent, makeDeps, OnEventResult, runWith } from '../../../lambda/custom-key-store-handler/index';
import { SecretRedactor } from '../../../lambda/shared/secrets/redactor';
import {
  CANARY_ACCESS_KEY_ID,
  CANARY_PASSWORD,
  CANARY_SECRET_KEY,
  CREDENTIAL_ARN,
  NEW_CREDENTIAL_ARN,
  NEW_PASSWORD_ARN,
  PASSWORD_ARN,
  TRUST_ANCHOR,
} from '../../fixtures/events';
import { awsError, kmsMock, smMock } from '../aws-mocks';

export { awsError, kmsMock, smMock };

export const cfMock = mockClient(CloudFormationClient);
/** The adoption records' Parameter Store (store-adopt.test.ts gives it a memory). */
export const ssmMock = mockClient(SSMClient);

/** What DescribeStacks says of the stack while the handler runs. */
export function stackStatus(status: string): void {
  cfMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'KeyStores', StackStatus: status as StackStatus, CreationTime: new Date() }] });
}

export interface Harness {
  onEvent(event: KeyStoreEvent): Promise<OnEventResult>;
  isComplete(event: KeyStoreEvent): Promise<IsCompleteResult>;
  /** Every line the handler logged. */
  readonly logs: string[];
  /** Set to move the handler's clock. */
  now: number;
}

export function resetMocks(): void {
  kmsMock.reset();
  smMock.reset();
  cfMock.reset();
  ssmMock.reset();
  stackStatus('UPDATE_IN_PROGRESS');
  smMock.on(GetSecretValueCommand, { SecretId: PASSWORD_ARN }).resolves({ SecretString: CANARY_PASSWORD });
  smMock.on(GetSecretValueCommand, { SecretId: NEW_PASSWORD_ARN }).resolves({ SecretString: `${CANARY_PASSWORD}-new` });
  const credential = JSON.stringify({ accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: CANARY_SECRET_KEY });
  smMock.on(GetSecretValueCommand, { SecretId: CREDENTIAL_ARN }).resolves({ SecretString: credential });
  smMock.on(GetSecretValueCommand, { SecretId: NEW_CREDENTIAL_ARN }).resolves({ SecretString: credential.replace('CANARY', 'CANARX') });
  // An account with no keys unless a test says otherwise.
  kmsMock.on(ListKeysCommand).resolves({ Keys: [], Truncated: false });
}

export function harness(): Harness {
  const logs: string[] = [];
  const redactor = new SecretRedactor();
  const noSleep = (): Promise<void> => Promise.resolve();
  const state = { now: Date.parse('2026-11-22T12:00:00Z') };
  // The handler's own waits move its clock, so a wait that never ends in KMS ends at its deadline.
  const clockSleep = (ms: number): Promise<void> => {
    state.now += ms;
    return Promise.resolve();
  };
  const deps = makeDeps(new KMSClient({ region: 'us-east-1' }), new SecretsManagerClient({ region: 'us-east-1' }), redactor, { sleep: noSleep, random: () => 0.5 }, {
    sleep: clockSleep,
    now: () => state.now,
    settle: { intervalMs: 1000, timeoutMs: 5000, longTimeoutMs: 60_000 },
    scan: { describeRatePerSecond: 100_000, retry: { sleep: noSleep } },
  }, () => Promise.resolve(new CloudFormationClient({ region: 'us-east-1' })), () => Promise.resolve(new SSMClient({ region: 'us-east-1' })));
  const logged = { ...deps, log: (entry: Record<string, unknown>) => logs.push(redactor.redact(JSON.stringify(entry))) };
  return {
    logs,
    get now() {
      return state.now;
    },
    set now(value: number) {
      state.now = value;
    },
    onEvent: async (event) => runWith(logged, redactor, event, 'onEvent', async (r) => r.onEvent()),
    isComplete: async (event) => runWith(logged, redactor, event, 'isComplete', async (r) => r.isComplete()),
  };
}

export function store(id: string, state: string, extra: Partial<CustomKeyStoresListEntry> = {}): CustomKeyStoresListEntry {
  return {
    CustomKeyStoreId: id,
    CustomKeyStoreName: 'payments-hsm',
    CustomKeyStoreType: 'AWS_CLOUDHSM',
    CloudHsmClusterId: 'cluster-2a23b4cdefg',
    TrustAnchorCertificate: TRUST_ANCHOR,
    ConnectionState: state as CustomKeyStoresListEntry['ConnectionState'],
    CreationDate: new Date('2026-11-22T11:59:00Z'),
    ...extra,
  };
}

/** DescribeCustomKeyStores answers with these states, one per call, then keeps the last. */
export function storeStates(id: string, ...states: string[]): void {
  let call = 0;
  kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreId: id }).callsFake(() => {
    const state = states[Math.min(call++, states.length - 1)];
    return { CustomKeyStores: [store(id, state)] };
  });
}

/** An account whose keys are `keys`; those with a store id are in that store. */
export function accountKeys(keys: Array<{ id: string; store?: string; state?: string; deletionDate?: Date }>): void {
  kmsMock.on(ListKeysCommand).resolves({ Keys: keys.map((k) => ({ KeyId: k.id })), Truncated: false });
  const byId = new Map(keys.map((k) => [k.id, k]));
  kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
    const k = byId.get(input.KeyId);
    if (!k) {
      throw awsError('NotFoundException', `Key '${input.KeyId}' does not exist`);
    }
    return { KeyMetadata: { KeyId: k.id, CustomKeyStoreId: k.store, KeyState: k.state ?? 'Enabled', DeletionDate: k.deletionDate } };
  });
}

/** The names of the KMS commands the handler sent, in order. */
export function kmsCalls(): string[] {
  return kmsMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
}
