/**
 * `npm run demo`: the whole lifecycle of the example app, offline, against the local KMS endpoint,
 * through the bundled handler in cdk.out. Exits 0 only if every expectation held.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { createExampleApp, EXAMPLE_STACK_NAME, PROXY_CREDENTIAL_SECRET_NAME } from '../bin/app';
import { startLocalKms } from '../local/kms-server';
import { StackRunner, ResourceEvent, StackReport } from '../local/runner/stack-runner';

const DAY = 86_400_000;

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
    const state = (): string =>
      kms.model
        .storeSnapshot()
        .map((s) => `${s.name}=${s.state}`)
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

    step('1. Deploy: a CloudHSM store and an external store connect; the VPC store is declared disconnected');
    const deployed = await stack.deploy(outdir);
    summary();
    expect(deployed.stackStatus === 'CREATE_COMPLETE', `stack is ${deployed.stackStatus}`);
    const hsmId = stack.physicalId(logicalIdOf(deployed, 'PaymentsHsm'));
    const byName = (name: string): string | undefined => kms.model.storeSnapshot().find((s) => s.name === name)?.state;
    expect(byName('payments-hsm') === 'CONNECTED', 'payments-hsm is CONNECTED');
    expect(byName('payments-xks') === 'CONNECTED', 'payments-xks is CONNECTED');
    expect(byName('payments-xks-private') === 'DISCONNECTED', 'payments-xks-private is DISCONNECTED (connected: false)');

    step('2. Create a KMS key in the CloudHSM store');
    const client = new KMSClient(kms.clientConfig());
    const key = await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsmId, Description: 'payments data key' }));
    const keyId = key.KeyMetadata?.KeyId ?? '';
    console.log(`   key ${keyId} (${key.KeyMetadata?.KeyState})`);
    summary();

    step('3. Destroy: the store with a key must fail cleanly and stay CONNECTED');
    const blocked = await stack.destroy();
    summary();
    const failed = blocked.events.find((e) => e.status === 'DELETE_FAILED');
    expect(blocked.stackStatus === 'DELETE_FAILED', `stack is ${blocked.stackStatus}`);
    expect(failed?.reason?.startsWith('CustomKeyStoreHasCMKsException') === true, 'the reason begins with CustomKeyStoreHasCMKsException');
    expect(failed?.reason?.includes(keyId) === true, 'the reason names the key');
    expect(byName('payments-hsm') === 'CONNECTED', 'payments-hsm is still CONNECTED');
    expect(byName('payments-xks') === undefined && byName('payments-xks-private') === undefined, 'the two external stores were deleted');

    step('4. Schedule the key for deletion (7 days) and let 7 days pass');
    const scheduled = await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    console.log(`   key ${keyId} PendingDeletion until ${scheduled.DeletionDate?.toISOString()}`);
    kms.clock.advance(7 * DAY + 60_000);
    console.log(`   the local clock is now ${new Date(kms.clock.now()).toISOString()}: the key is gone`);
    summary();

    step('5. Destroy again: disconnect, then delete');
    const destroyed = await stack.destroy();
    summary();
    expect(destroyed.stackStatus === 'DELETE_COMPLETE', `stack is ${destroyed.stackStatus}`);
    expect(kms.model.storeSnapshot().length === 0, 'no custom key store is left');
    const order = kms.calls.slice(callsAtStepStart).map((c) => c.operation).filter((op) => op === 'DisconnectCustomKeyStore' || op === 'DeleteCustomKeyStore');
    expect(order.join(',') === 'DisconnectCustomKeyStore,DeleteCustomKeyStore', `disconnect came before delete (${order.join(' -> ')})`);
  } finally {
    await kms.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  console.log(failures === 0 ? '\nDemo complete: every expectation held.' : `\nDemo FAILED: ${failures} expectation(s) did not hold.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

function logicalIdOf(report: StackReport, prefix: string): string {
  return report.events.find((e) => e.logicalId.startsWith(prefix))?.logicalId ?? prefix;
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
