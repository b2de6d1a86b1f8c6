/**
 * `npm run demo`: the whole lifecycle of the example app (two stores with a KMS key each, declared
 * with CustomKeyStoreKey, and a disconnected store), offline, against the local KMS endpoint,
 * through the bundled handler in cdk.out: the connection watcher and the proxy credential sync at
 * work, the teardown blocked by retained keys, then by keys
 * pending deletion, then complete; then deferred deletion, where the account's janitor finishes
 * the teardown. Exits 0 only if every expectation held.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CustomKeyStoreJanitor } from '../lib';
import { createExampleApp, EXAMPLE_STACK_NAME, PROXY_CREDENTIAL_SECRET_NAME } from '../bin/app';
import { LocalKms, ResourceEvent, StackRunner, startLocalKms } from '../local';

const DAY = 86_400_000;

/**
 * The account also holds one key, in no store, whose key policy denies the handler DescribeKey (as
 * locked-down accounts have): the teardown must still delete the stores once they are empty.
 * DEMO_UNREADABLE_KEY=0 leaves it out.
 */
const UNREADABLE_KEY_STEP = process.env.DEMO_UNREADABLE_KEY !== '0';

function addUnreadableKey(kms: LocalKms): string {
  const keyId = (kms.model.CreateKey({ Description: 'an unrelated key this account locked down' }).KeyMetadata as { KeyId: string }).KeyId;
  kms.model.lockKey(keyId);
  return keyId;
}

// On Node.js 20 the AWS SDK warns that it will need Node.js 22 from 2027; the handler itself runs
// on Node.js 24 in Lambda, so that one warning is noise here. Every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) console.warn(warning);
});
const interactive = process.stdout.isTTY;
let failures = 0;
let stepStarted = Date.now();
let callsAtStepStart = 0;

async function main(): Promise<void> {
  const kms = await startLocalKms({ connectMs: 2500, disconnectMs: 1500 });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-demo-'));
  try {
    console.log(`Local KMS endpoint on ${kms.url} (account ${kms.model.accountId}, ${kms.model.region}); connections take 2.5 s, disconnections 1.5 s.`);
    createExampleApp(outdir).synth();
    console.log(`Synthesized ${EXAMPLE_STACK_NAME} into ${outdir}; the handler runs from its bundled asset there.\n`);

    const stack = new StackRunner(EXAMPLE_STACK_NAME, {
      kms,
      queryIntervalMs: 500,
      importedSecrets: {
        [PROXY_CREDENTIAL_SECRET_NAME]: JSON.stringify({ accessKeyId: 'DEMOAKIDXKSPROXY234567', secretAccessKey: 'DemoSecretAccessKeyForTheLocalXksProxy0123456789' }),
      },
      onEvent: printEvent,
      onPoll: (logicalId, polls, elapsed) => { progress(`  ... ${logicalId}: waiting (${polls} polls, ${(elapsed / 1000).toFixed(1)} s)`); },
    });
    const keyState = (keyId: string): string | undefined => {
      try {
        // The narrator's view of the key as it is (no read lag), not a caller's.
        return (kms.model.inspect(() => kms.model.DescribeKey({ KeyId: keyId })).KeyMetadata as { KeyState?: string }).KeyState;
      } catch {
        return undefined; // gone, or unreadable
      }
    };
    const state = (): string =>
      kms.model
        .storeSnapshot()
        .map((s) => `${s.name}=${s.state}${kms.model.keysIn(s.id).length ? ` [keys: ${kms.model.keysIn(s.id).map((k) => `${k.slice(0, 8)}… ${keyState(k) ?? '?'}`).join(', ')}]` : ''}`)
        .join(', ') || '(no stores)';
    const step = (title: string): void => {
      stepStarted = Date.now();
      callsAtStepStart = kms.calls.length;
      console.log(`\n== ${title}`);
    };
    const summary = (): void => {
      const counts = new Map<string, number>();
      for (const c of kms.calls.slice(callsAtStepStart)) counts.set(c.operation, (counts.get(c.operation) ?? 0) + 1);
      console.log(`   stores: ${state()}`);
      console.log(`   ${((Date.now() - stepStarted) / 1000).toFixed(1)} s, KMS calls: ${[...counts].map(([op, n]) => `${op} ${n}`).join(', ') || 'none'}`);
    };

    if (UNREADABLE_KEY_STEP) {
      const unreadable = addUnreadableKey(kms);
      console.log(`The account also holds key ${unreadable}, in no store, whose key policy denies the handler DescribeKey.`);
    }

    step('1. Deploy: the stores connect, then a KMS key is created in each connected store; the VPC store is declared disconnected');
    const deployed = await stack.deploy(outdir);
    summary();
    expect(deployed.stackStatus === 'CREATE_COMPLETE', `stack is ${deployed.stackStatus}`);
    const byName = (name: string): string | undefined => kms.model.storeSnapshot().find((s) => s.name === name)?.state;
    expect(byName('payments-hsm') === 'CONNECTED', 'payments-hsm is CONNECTED');
    expect(byName('payments-xks') === 'CONNECTED', 'payments-xks is CONNECTED');
    expect(byName('payments-xks-private') === 'DISCONNECTED', 'payments-xks-private is DISCONNECTED (connected: false)');
    const retainedKeys = stack.keyIds();
    expect(retainedKeys.length === 2 && retainedKeys.every((k) => keyState(k) === 'Enabled'), 'two keys, Enabled, made by the stack (CustomKeyStoreKey), not by hand');
    const keyCreatedAfterConnect = deployed.events.filter((e) => e.status === 'CREATE_COMPLETE').map((e) => e.logicalId);
    expect(keyCreatedAfterConnect.findIndex((id) => id.startsWith('PaymentsKey')) > keyCreatedAfterConnect.findIndex((id) => id.startsWith('PaymentsHsm')), 'the CloudHSM key was created after its store was CONNECTED');

    step('1b. Operations: the connection watcher sees a store fail, and a rotated proxy credential reaches KMS without a redeploy');
    const connectedNow = (name: string): number | undefined => {
      const id = kms.model.storeSnapshot().find((s) => s.name === name)?.id ?? '';
      return kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: id }).at(-1)?.value;
    };
    await stack.runSchedules();
    console.log(`   watcher: payments-hsm Connected=${connectedNow('payments-hsm')}, payments-xks Connected=${connectedNow('payments-xks')}`);
    expect(connectedNow('payments-hsm') === 1 && connectedNow('payments-xks') === 1, 'the watcher publishes Connected=1 for both watched stores');
    // The cluster's security group is changed to block KMS, and the store loses its connection.
    const operator = new KMSClient(kms.clientConfig());
    const hsmId = kms.model.storeSnapshot().find((s) => s.name === 'payments-hsm')?.id ?? '';
    /** The cluster's network as `blocked` says, then an operator's disconnect and connect; then one watcher run. */
    const reconnectWithNetwork = async (blocked: boolean): Promise<void> => {
      kms.model.clusters.set('cluster-2a23b4cdefg', { ...kms.model.clusters.get('cluster-2a23b4cdefg'), networkBlocked: blocked });
      await operator.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: hsmId }));
      kms.clock.advance(2_000);
      await operator.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: hsmId }));
      kms.clock.advance(3_000);
      await stack.runSchedules();
    };
    await reconnectWithNetwork(true);
    const code = kms.cloudWatch.datapoints('KmsCustomKeyStores', 'ConnectionError', { CustomKeyStoreId: hsmId }).at(-1)?.dimensions.ConnectionErrorCode;
    console.log(`   the cluster blocks KMS: payments-hsm is ${byName('payments-hsm')}; the next watcher run publishes Connected=${connectedNow('payments-hsm')}, ConnectionErrorCode=${code}`);
    expect(connectedNow('payments-hsm') === 0 && code === 'NETWORK_ERRORS', 'one watcher run later: Connected=0 with ConnectionErrorCode NETWORK_ERRORS (the connection alarm counts these minutes)');
    await reconnectWithNetwork(false);
    expect(connectedNow('payments-hsm') === 1, 'fixed and reconnected: Connected=1 again');
    // The proxy's operator rotates the credential: the proxy first, then the secret.
    const rotated = { accessKeyId: 'DEMOROTATEDXKSPROXY234', secretAccessKey: 'DemoRotatedSecretAccessKeyForTheLocalXksProxy012' };
    kms.model.proxies.set('https://xks.example.com', rotated);
    const labelEvents: Array<Record<string, unknown>> = [];
    kms.secrets.onLabelUpdated = (e) => labelEvents.push(e);
    kms.secrets.PutSecretValue({ SecretId: PROXY_CREDENTIAL_SECRET_NAME, SecretString: JSON.stringify(rotated) });
    for (const event of labelEvents) await stack.deliverEvent(event);
    const xksAccessKey = (): string | undefined =>
      (kms.model.DescribeCustomKeyStores({ CustomKeyStoreName: 'payments-xks' }) as { CustomKeyStores: Array<{ XksProxyConfiguration?: { AccessKeyId?: string } }> }).CustomKeyStores[0].XksProxyConfiguration?.AccessKeyId;
    console.log(`   put-secret-value on ${PROXY_CREDENTIAL_SECRET_NAME}: Secret Label Updated -> the sync; KMS holds the rotated credential: ${xksAccessKey() === rotated.accessKeyId ? 'yes' : 'no'}`);
    expect(xksAccessKey() === rotated.accessKeyId && byName('payments-xks') === 'CONNECTED', 'the rotated credential reached KMS while payments-xks stayed CONNECTED');
    expect(!stack.functionLogs.join('\n').includes(rotated.secretAccessKey), 'the secret access key appears in no function log');
    summary();

    step('2. Destroy with the keys RETAINed (the default, as kms.Key): the stores with keys fail cleanly and stay CONNECTED');
    const blocked = await stack.destroy();
    summary();
    expect(blocked.stackStatus === 'DELETE_FAILED', `stack is ${blocked.stackStatus}`);
    expect(blocked.events.filter((e) => e.status === 'DELETE_SKIPPED').length === 2, 'CloudFormation retained both keys (DELETE_SKIPPED)');
    const retainedReasons = blocked.events.filter((e) => e.status === 'DELETE_FAILED').map((e) => e.reason ?? '');
    expect(retainedReasons.length === 2 && retainedReasons.every((r) => r.startsWith('CustomKeyStoreHasCMKsException')), 'two store deletes failed with CustomKeyStoreHasCMKsException');
    expect(retainedKeys.every((k) => retainedReasons.some((r) => r.includes(`${k} (Enabled)`))), 'each reason names its retained key as (Enabled)');
    expect(byName('payments-hsm') === 'CONNECTED' && byName('payments-xks') === 'CONNECTED', 'both stores are still CONNECTED');
    expect(byName('payments-xks-private') === undefined, 'the store without keys was deleted');

    step('3. The retained keys left CloudFormation: their owner schedules their deletion (7 days)');
    const client = new KMSClient(kms.clientConfig());
    for (const keyId of retainedKeys) {
      const scheduled = await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      console.log(`   key ${keyId} PendingDeletion until ${scheduled.DeletionDate?.toISOString()}`);
    }
    summary();

    step('4. Deploy again with the keys set to DESTROY: new keys, and the VPC store is back');
    // A key pending deletion still holds its external key: the new external store key needs another.
    console.log("   (the retained external store key still holds 'payments-key-1' until it is deleted, so the new one uses 'payments-key-2')");
    const synthDestroy = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-demo-destroy-'));
    createExampleApp(synthDestroy, { keyRemovalPolicy: RemovalPolicy.DESTROY, externalKeyId: 'payments-key-2' }).synth();
    const redeployed = await stack.deploy(synthDestroy);
    summary();
    expect(redeployed.stackStatus === 'UPDATE_COMPLETE', `stack is ${redeployed.stackStatus}`);
    const destroyKeys = stack.keyIds();
    expect(destroyKeys.length === 2 && destroyKeys.every((k) => !retainedKeys.includes(k) && keyState(k) === 'Enabled'), 'two new keys, Enabled');

    step('5. Destroy: the keys are scheduled for deletion first; the stores then fail cleanly, naming every key PendingDeletion with its date');
    const pending = await stack.destroy();
    summary();
    expect(pending.stackStatus === 'DELETE_FAILED', `stack is ${pending.stackStatus}`);
    expect(destroyKeys.every((k) => pending.events.some((e) => e.physicalId === k && e.status === 'DELETE_COMPLETE') && keyState(k) === 'PendingDeletion'), 'both keys: DELETE_COMPLETE, KMS shows PendingDeletion');
    const pendingReasons = pending.events.filter((e) => e.status === 'DELETE_FAILED').map((e) => e.reason ?? '').join('\n');
    expect([...retainedKeys, ...destroyKeys].every((k) => new RegExp(`${k} \\(PendingDeletion, deleted on \\d{4}-\\d\\d-\\d\\dT`).test(pendingReasons)), 'the reasons name all four keys as PendingDeletion with their dates');
    expect(byName('payments-hsm') === 'CONNECTED' && byName('payments-xks') === 'CONNECTED', 'both stores are still CONNECTED (CloudHSM needs it while its keys are removed)');
    fs.rmSync(synthDestroy, { recursive: true, force: true });

    step('6. Seven days later the keys are gone: destroy again disconnects, then deletes');
    kms.clock.advance(7 * DAY + 60_000);
    console.log(`   the local clock is now ${new Date(kms.clock.now()).toISOString()}`);
    // Which store each disconnect and delete was for: the two stores go at once, in either order.
    const storeSteps: string[] = [];
    kms.beforeOperation = (op, body) => {
      if (op === 'DisconnectCustomKeyStore' || op === 'DeleteCustomKeyStore') storeSteps.push(`${op} ${String(body.CustomKeyStoreId)}`);
    };
    const storesBefore = kms.model.storeSnapshot().map((s) => s.id);
    const destroyed = await stack.destroy();
    summary();
    expect(destroyed.stackStatus === 'DELETE_COMPLETE', `stack is ${destroyed.stackStatus}`);
    expect(kms.model.storeSnapshot().length === 0, 'no custom key store is left');
    if (UNREADABLE_KEY_STEP) {
      expect(stack.handlerLogs.some((l) => /"step":"key-scan".*"unreadable":1/.test(l)), 'the key the handler may not read was counted, and did not stop the teardown');
    }
    const disconnectedFirst = storesBefore.every((id) => {
      const disconnect = storeSteps.indexOf(`DisconnectCustomKeyStore ${id}`);
      return disconnect >= 0 && storeSteps.lastIndexOf(`DeleteCustomKeyStore ${id}`) > disconnect;
    });
    expect(disconnectedFirst, `each store was disconnected, then deleted (${storeSteps.join(' -> ')})`);
    kms.beforeOperation = undefined;

    step('7. Deferred deletion: with a janitor in a long-lived stack and deferDeletion on the stores, destroy completes at once; the janitor deletes the stores after the dates');
    const operationsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-demo-ops-'));
    const operationsApp = new App({ outdir: operationsDir });
    new CustomKeyStoreJanitor(new Stack(operationsApp, 'KeyStoreOperations', { env: { account: kms.model.accountId, region: kms.model.region } }), 'KeyStoreJanitor').addRecommendedAlarms();
    operationsApp.synth();
    const operations = new StackRunner('KeyStoreOperations', { kms, queryIntervalMs: 100, onEvent: printEvent });
    expect((await operations.deploy(operationsDir)).stackStatus === 'CREATE_COMPLETE', 'the janitor stack is CREATE_COMPLETE');
    await operations.runSchedules();
    // The stack is created anew with a new kmsuser secret; its operator sets that password in the cluster (KMS rotated the old one).
    console.log("   (the cluster's operator sets kmsuser's password to the new stack's secret, as for any new CloudHSM key store)");
    kms.beforeOperation = (op, body) => {
      if (op === 'CreateCustomKeyStore' && typeof body.KeyStorePassword === 'string' && typeof body.CloudHsmClusterId === 'string') kms.model.setKmsUserPassword(body.CloudHsmClusterId, body.KeyStorePassword);
    };
    const deferredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-demo-deferred-'));
    createExampleApp(deferredDir, { keyRemovalPolicy: RemovalPolicy.DESTROY, externalKeyId: 'payments-key-3', deferDeletion: true }).synth();
    const deferredDeploy = await stack.deploy(deferredDir);
    expect(/^(CREATE|UPDATE)_COMPLETE$/.test(deferredDeploy.stackStatus), `the example stack, with deferDeletion, is ${deferredDeploy.stackStatus}`);
    kms.clock.advance(60_000);
    const handedOver = await stack.destroy();
    summary();
    expect(handedOver.stackStatus === 'DELETE_COMPLETE', `stack is ${handedOver.stackStatus} at once, though the keys wait 7 days`);
    const released = kms.model.storeSnapshot().filter((s) => s.name.startsWith('released/'));
    expect(released.length === 2 && released.every((s) => s.state === 'CONNECTED'), 'both stores with keys were handed to the janitor: renamed released/..., still CONNECTED');
    await operations.runSchedules();
    kms.clock.advance(8 * DAY);
    console.log(`   the local clock is now ${new Date(kms.clock.now()).toISOString()}: the janitor runs`);
    await operations.runSchedules();
    kms.clock.advance(5_000);
    await operations.runSchedules();
    for (const line of operations.functionLogs.filter((l) => l.includes('"outcome"'))) console.log(`   janitor: ${line.slice(line.indexOf('{'))}`);
    expect(kms.model.storeSnapshot().length === 0, 'the janitor disconnected, then deleted both stores once their keys were gone');
    fs.rmSync(operationsDir, { recursive: true, force: true });
    fs.rmSync(deferredDir, { recursive: true, force: true });
  } finally {
    await kms.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  console.log(failures === 0 ? '\nDemo complete: every expectation held.' : `\nDemo FAILED: ${failures} expectation(s) did not hold.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

function printEvent(e: ResourceEvent): void {
  progress('');
  const detail = e.reason ? `\n     ${e.reason.split('\n')[0]}` : '';
  const timing = e.elapsedMs !== undefined ? ` (${(e.elapsedMs / 1000).toFixed(1)} s)` : '';
  console.log(`   ${e.logicalId.padEnd(28)} ${e.status}${e.physicalId ? ` ${e.physicalId}` : ''}${timing}${detail}`);
}

let lastProgress = 0;
function progress(line: string): void {
  if (interactive) {
    process.stdout.write(`\r${line.padEnd(80)}\r`);
  } else if (line && Date.now() - lastProgress > 2000) {
    lastProgress = Date.now();
    console.log(line);
  }
}

function expect(ok: boolean, what: string): void {
  progress('');
  console.log(`   ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
