/** The proxy credential sync with aws-sdk-client-mock: what it reads, what it publishes, what it changes, and what it never shows. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeCustomKeyStoresCommand, KMSClient, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { handler as syncHandler } from '../../../lambda/proxy-credential-sync/index';
import { SyncTrigger, syncProxyCredentials } from '../../../lambda/proxy-credential-sync/sync';
import { SecretRedactor } from '../../../lambda/shared/secrets/redactor';
import { SYNC_TARGETS_ENV } from '../../../lib/private/contract/operations-metrics';
import { CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY } from '../../fixtures/events';
import { awsError, kmsMock, smMock } from '../aws-mocks';
import { AT, cwMock, logs, published, resetOperationMocks, retry, ssmMock, store } from '../operations-fixtures';

beforeEach(resetOperationMocks);

describe('syncProxyCredentials', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:xks/cred';
  const STATE = '/cks/sync-state';
  const NEW_KEY_ID = CANARY_ACCESS_KEY_ID.replace('CANARY', 'ROTATE');
  const NEW_SECRET = CANARY_SECRET_KEY.replace('Canary', 'Rotate');
  const targets = [{ storeId: 'cks-x', secretArn: SECRET, stateParameter: STATE }];
  /** The secret's AWSCURRENT version is `version`, holding this credential. */
  const secretHolds = (version: string, accessKeyId: string, secretAccessKey: string): void => {
    smMock.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-old': ['AWSPREVIOUS'], [version]: ['AWSCURRENT'] } });
    smMock.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: version }).resolves({ SecretString: JSON.stringify({ accessKeyId, secretAccessKey }) });
  };
  /** What the state parameter holds: the store, the secret and the version KMS was given. */
  const stateOf = (version: string): string => `cks-x ${SECRET} ${version}`;
  const applied = (version: string): void => {
    ssmMock.on(GetParameterCommand, { Name: STATE }).resolves({ Parameter: { Name: STATE, Value: version === 'none' ? 'none' : stateOf(version) } });
  };
  const kmsHolds = (accessKeyId: string, state = 'CONNECTED'): void => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-x', state, { XksProxyConfiguration: { AccessKeyId: accessKeyId } })] });
  };
  const run = async (trigger?: SyncTrigger): ReturnType<typeof syncProxyCredentials> =>
    syncProxyCredentials(targets, trigger, {
      kms: new KMSClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
      ssm: new SSMClient({ region: 'us-east-1' }),
      redactor: new SecretRedactor(),
      retry,
      log: (l) => logs.push(l),
      now: () => AT,
    });
  const everything = (): string => [logs.join('\n'), JSON.stringify(cwMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input))].join('\n');

  beforeEach(() => {
    ssmMock.reset();
    ssmMock.on(PutParameterCommand).resolves({ Version: 2 });
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
  });

  test('nothing to do when KMS has the current version: the secret\'s value is not even read; 0 is published', async () => {
    secretHolds('v2', CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'in-sync' }]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toEqual([]);
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(published()).toEqual(['ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=0']);
  });

  test('a new current version is sent to KMS (that version, with nothing else in the update), then remembered', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run({ 'detail-type': 'Secret Label Updated' })).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
    expect(smMock.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET, VersionId: 'v3' });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input).toEqual({ CustomKeyStoreId: 'cks-x', XksProxyAuthenticationCredential: { AccessKeyId: NEW_KEY_ID, RawSecretAccessKey: NEW_SECRET } });
    expect(ssmMock.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({ Name: STATE, Value: stateOf('v3'), Overwrite: true });
    // One round more to see that v3 is still the current version: two DescribeSecret calls, one update.
    expect(smMock.commandCalls(DescribeSecretCommand)).toHaveLength(2);
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(1);
    expect(published()).toEqual(['ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=0']);
    expect(everything()).not.toContain(NEW_SECRET);
    expect(everything()).not.toContain(NEW_KEY_ID);
    expect(JSON.parse(logs[0])).toMatchObject({ trigger: 'Secret Label Updated' });
  });

  test('a new secret access key under the same access key id is a new version too, and is sent', async () => {
    secretHolds('v3', CANARY_ACCESS_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
  });

  test('the first run after a deployment (no version remembered) gives KMS the current version once', async () => {
    secretHolds('v1', CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY);
    applied('none');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
  });

  test('a store that is connecting, disconnecting or FAILED is deferred, with nothing remembered or published, and the next run catches up', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    for (const state of ['CONNECTING', 'DISCONNECTING', 'FAILED']) {
      kmsHolds(CANARY_ACCESS_KEY_ID, state);
      const [result] = await run();
      expect(result).toEqual({ storeId: 'cks-x', outcome: 'deferred', reason: expect.stringContaining(`the store is ${state}`) as unknown });
    }
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(ssmMock.commandCalls(PutParameterCommand)).toEqual([]);
    expect(published()).toEqual([]);
    kmsHolds(CANARY_ACCESS_KEY_ID, 'DISCONNECTED'); // KMS takes a credential in either state
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
  });

  test('KMS rejecting the credential publishes 1, remembers nothing, and the next run tries again; the reason names the exception and never the value', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('XksProxyIncorrectAuthenticationCredentialException', `The proxy rejected ${NEW_KEY_ID}.`));
    const [result] = await run();
    expect(result).toEqual({
      storeId: 'cks-x',
      outcome: 'rejected',
      reason: `XksProxyIncorrectAuthenticationCredentialException: The proxy rejected *****. KMS kept the credential it had, and the store's connection state did not change. Make the XKS proxy accept the credential in secret ${SECRET} (or put back the one it accepts); the next scheduled run tries again.`,
    });
    expect(ssmMock.commandCalls(PutParameterCommand)).toEqual([]);
    await run();
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(2);
    expect(published()).toEqual(['ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=1', 'ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=1']);
    expect(everything()).not.toContain(NEW_KEY_ID);
  });

  test('a passing failure (throttling past the retries) defers instead of raising the failure metric', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const [result] = await run();
    expect(result).toMatchObject({ outcome: 'deferred', reason: 'ThrottlingException: Rate exceeded' });
    expect(published()).toEqual([]);
  });

  test('a credential KMS took but that could not be remembered: deferred for a passing failure (the next run sends it once more), a failure for a lasting one', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    ssmMock.on(PutParameterCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    expect((await run())[0]).toMatchObject({ outcome: 'deferred' });
    ssmMock.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 'not allowed to ssm:PutParameter'));
    expect((await run())[0]).toMatchObject({ outcome: 'rejected', reason: 'AccessDeniedException: not allowed to ssm:PutParameter' });
  });

  test('a run that gave KMS a version the secret has since moved on from gives it the newer one before it ends (overlapping runs)', async () => {
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    smMock
      .on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { v3: ['AWSCURRENT'] } })
      .resolves({ VersionIdsToStages: { v3: ['AWSPREVIOUS'], v4: ['AWSCURRENT'] } });
    smMock.on(GetSecretValueCommand, { VersionId: 'v3' }).resolves({ SecretString: JSON.stringify({ accessKeyId: NEW_KEY_ID, secretAccessKey: NEW_SECRET }) });
    smMock.on(GetSecretValueCommand, { VersionId: 'v4' }).resolves({ SecretString: JSON.stringify({ accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: CANARY_SECRET_KEY }) });
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
    const updates = kmsMock.commandCalls(UpdateCustomKeyStoreCommand).map((c) => c.args[0].input.XksProxyAuthenticationCredential?.AccessKeyId);
    expect(updates).toEqual([NEW_KEY_ID, CANARY_ACCESS_KEY_ID]);
    expect(ssmMock.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Value)).toEqual([stateOf('v3'), stateOf('v4')]);
  });

  test('a secret that keeps changing during the run is left for the next run after three updates', async () => {
    applied('v0');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    let n = 0;
    smMock.on(DescribeSecretCommand).callsFake(() => ({ VersionIdsToStages: { [`v${++n}`]: ['AWSCURRENT'] } }));
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ accessKeyId: NEW_KEY_ID, secretAccessKey: NEW_SECRET }) });
    expect((await run())[0]).toMatchObject({ outcome: 'deferred', reason: expect.stringContaining('changed 3 times during this run') as unknown });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(3);
  });

  test.each(['XksProxyUriUnreachableException', 'XksProxyInvalidResponseException'])('%s (KMS could not check the proxy just now) is deferred, not counted as a rejected credential, and never names the value', async (name) => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError(name, `No answer for ${NEW_KEY_ID}.`));
    const [result] = await run();
    expect(result).toEqual({
      storeId: 'cks-x',
      outcome: 'deferred',
      reason: `${name}: No answer for *****. KMS could not check the new credential on the XKS proxy just now (unreachable, no external key manager available, or an answer it could not interpret), so it kept the credential it had; this says nothing against the credential. The next run tries again; if it keeps happening, check the proxy's health.`,
    });
    expect(published()).toEqual([]);
    expect(ssmMock.commandCalls(PutParameterCommand)).toEqual([]);
    expect(everything()).not.toContain(NEW_KEY_ID);
  });

  test('a store that starts connecting between the read and the update is deferred, not counted as a rejected credential', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('CustomKeyStoreInvalidStateException', 'The custom key store is CONNECTING.'));
    expect((await run())[0]).toMatchObject({ outcome: 'deferred' });
    expect(published()).toEqual([]);
  });

  test('a secret read that is throttled past the retries is deferred, though the reader wraps the error', async () => {
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    smMock.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v3: ['AWSCURRENT'] } });
    smMock.on(GetSecretValueCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    expect((await run())[0]).toMatchObject({ outcome: 'deferred', reason: expect.stringMatching(/^ThrottlingException: could not read the XKS proxy credential/) as unknown });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
  });

  test('a state parameter left by another store or secret does not read as in sync', async () => {
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: STATE, Value: `cks-old ${SECRET} v3` } });
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
  });

  test('an unusable secret, or one the function may not read, counts as a failure, with the secret\'s problem and no KMS call', async () => {
    secretHolds('v3', 'lower-case-is-not-allowed', NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect((await run())[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/'accessKeyId' in secret .* is not valid/) as unknown });
    smMock.on(DescribeSecretCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform secretsmanager:DescribeSecret'));
    expect((await run())[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^AccessDeniedException: /) as unknown });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(everything()).not.toContain(NEW_SECRET);
  });

  test('a store KMS does not show is reported as not-found, with nothing read or published for it', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'not-found' }]);
    expect(smMock.calls()).toEqual([]);
    expect(published()).toEqual([]);
  });

  test('the Lambda entry point reads its targets from its environment', async () => {
    process.env[SYNC_TARGETS_ENV] = JSON.stringify(targets);
    secretHolds('v3', NEW_KEY_ID, NEW_SECRET);
    applied('v2');
    kmsHolds(CANARY_ACCESS_KEY_ID);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await syncHandler({ 'detail-type': 'Scheduled Event' })).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
      expect(log.mock.calls.join('\n')).not.toContain(NEW_SECRET);
    } finally {
      log.mockRestore();
      Reflect.deleteProperty(process.env, SYNC_TARGETS_ENV);
    }
  });
});
