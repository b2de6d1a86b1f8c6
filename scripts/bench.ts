/**
 * `npm run bench`: how fast and how gently the handler does its job, measured side by side with
 * the baseline a user would otherwise have, in one run on this machine. Not part of `npm test`:
 * no test asserts a timing. Prints a table of ratios; docs/benchmarks.md records
 * the latest figures.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as readline from 'readline';
import { DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreJanitor, KeyStoreBackend } from '../lib';
import { REGISTRY_PATH } from '../lib/private/contract/deferred-deletion';
import { DEFAULT_DESCRIBE_RATE, findKeysInStore } from '../lambda/shared/key-scanner';
import { localClientConfig, StackRunner, startLocalKms } from '../local';

// On Node.js 20 the AWS SDK warns, in every module instance that loads it (the bundles included),
// that it will need Node.js 22 from 2027; the functions run on Node.js 24 in Lambda.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const root = path.join(__dirname, '..');
const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 5;
const NO_STORE = 'cks-00000000000000000';
const rows: Array<[string, string, string, string, string]> = [];

/** The example app's trust anchor certificate: the bench's CloudHSM stores need one KMS accepts in form. */
const BENCH_TRUST_ANCHOR = fs.readFileSync(path.join(__dirname, '..', 'bin', 'customerCA.crt'), 'utf8');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, value];
}

function row(what: string, measured: string, baseline: string, ratio: string, goal: string): void {
  rows.push([what, measured, baseline, ratio, goal]);
  console.log(`  ${what}: ${measured} vs ${baseline} -> ${ratio} (${goal})`);
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** The local endpoint in a child process: the scanner and the endpoint each get a core. */
async function endpointProcess(options: object): Promise<{ url: string; ask: (line: string) => Promise<Record<string, number>>; stop: () => void }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(root, 'local', 'serve.ts'), JSON.stringify(options)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  const { url } = (await next()) as { url: string };
  return {
    url,
    ask: async (line) => {
      child.stdin.write(`${line}\n`);
      return (await next()) as Record<string, number>;
    },
    stop: () => {
      child.stdin.end('quit\n');
    },
  };
}

/** 1. The check for keys left in a store: the Developer Guide's way vs the handler's scanner. */
async function keyScan(): Promise<void> {
  const keys = QUICK ? 2000 : 10_000;
  console.log(`\n1. Key scan: ${keys} keys, none in the store, 20 ms latency per call, real quotas (ListKeys 500/s, DescribeKey 2000/s)`);
  const endpoint = await endpointProcess({ latencyMs: 20, plainKeys: keys });
  try {
    const client = new KMSClient({ ...localClientConfig(endpoint.url), maxAttempts: 1 });

    // The Developer Guide's loop, translated to the SDK: list every key, then describe them one at a time.
    const [sequentialMs] = await timed(async () => {
      const sdk = new KMSClient(localClientConfig(endpoint.url));
      let marker: string | undefined;
      let found = 0;
      do {
        const page = await sdk.send(new ListKeysCommand({ Limit: 1000, Marker: marker }));
        for (const key of page.Keys ?? []) {
          const described = await sdk.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
          if (described.KeyMetadata?.CustomKeyStoreId === NO_STORE) found++;
        }
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      return found;
    });
    console.log(`  sequential (once): ${s(sequentialMs)}`);

    const scans: number[] = [];
    let retries = 0;
    let surfaced = 0;
    const throttledBefore = (await endpoint.ask('stats'))['DescribeKey:ThrottlingException'] ?? 0;
    for (let i = 0; i < RUNS; i++) {
      const [ms, result] = await timed(async () => findKeysInStore(client, NO_STORE).catch(() => undefined));
      if (!result) surfaced++;
      retries += result?.stats.retries ?? 0;
      scans.push(ms);
    }
    const scanMs = median(scans);
    const floorMs = (keys / DEFAULT_DESCRIBE_RATE) * 1000;
    const throttled = ((await endpoint.ask('stats'))['DescribeKey:ThrottlingException'] ?? 0) - throttledBefore;
    console.log(`  scanner, ${RUNS} runs: ${scans.map(s).join(', ')}; retries ${retries}; throttled at the endpoint ${throttled}; errors surfaced ${surfaced}`);
    row(`key scan, ${keys} keys: scanner / sequential`, s(scanMs), s(sequentialMs), `${(sequentialMs / scanMs).toFixed(1)}x faster`, `goal >= 12x: ${verdict(sequentialMs / scanMs >= 12)}`);
    row(
      `key scan, ${keys} keys: scanner / floor of its ${DEFAULT_DESCRIBE_RATE}/s budget (half the DescribeKey quota)`,
      s(scanMs),
      s(floorMs),
      `${(scanMs / floorMs).toFixed(2)}x`,
      `goal <= 1.3x, no throttling surfaced (retries ${retries}): ${verdict(scanMs / floorMs <= 1.3 && surfaced === 0)}`,
    );

    if (!QUICK) {
      await endpoint.ask(`add ${100_000 - keys}`);
      const [bigMs, big] = await timed(async () => findKeysInStore(client, NO_STORE));
      console.log(`  100,000 keys: ${s(bigMs)}, retries ${big.stats.retries}`);
      // The handler functions' timeout (lib/private/key-store-provider.ts): 10 minutes.
      row('key scan, 100,000 keys (the default key quota): scanner / the handler\'s 10-minute timeout', s(bigMs), '600 s', `${((bigMs / 600_000) * 100).toFixed(1)}% of 10 min`, `goal: under half: ${verdict(bigMs < 300_000)}`);
    }
  } finally {
    endpoint.stop();
  }
}

/** 2. What deleting a connected store with no keys costs, against the least it could. */
async function teardown(): Promise<void> {
  const disconnectMs = 3000;
  const pollMs = 1000;
  console.log(`\n2. Teardown of a connected store with no keys: disconnecting takes ${s(disconnectMs)}, the framework polls every ${s(pollMs)} (10 s in AWS)`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bench-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench', { env: { account: '111122223333', region: 'us-east-1' } });
  new CustomKeyStore(stack, 'Store', {
    customKeyStoreName: 'bench',
    backend: KeyStoreBackend.externalPublicEndpoint({
      proxyUriEndpoint: 'https://xks.example.com',
      proxyUriPath: '/kms/xks/v1',
      proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'Credential', 'bench/xks'),
    }),
  });
  app.synth();
  const credential = JSON.stringify({ accessKeyId: 'BENCHAKIDXKSPROXY23456', secretAccessKey: 'BenchSecretAccessKeyForTheLocalXksProxy0123456789' });
  const walls: number[] = [];
  const lags: number[] = [];
  const calls: Array<Record<string, number | undefined>> = [];
  for (let i = 0; i < RUNS; i++) {
    const kms = await startLocalKms({ connectMs: 100, disconnectMs });
    try {
      const local = new StackRunner('Bench', { kms, queryIntervalMs: pollMs, importedSecrets: { 'bench/xks': credential } });
      await local.deploy(outdir);
      await new Promise((r) => setTimeout(r, 1100));
      const since = kms.calls.length;
      const [wall] = await timed(async () => local.destroy());
      const during = kms.calls.slice(since);
      const disconnectAt = during.find((c) => c.operation === 'DisconnectCustomKeyStore')?.at ?? 0;
      const deleteAt = during.find((c) => c.operation === 'DeleteCustomKeyStore')?.at ?? 0;
      lags.push(deleteAt - (disconnectAt + disconnectMs));
      walls.push(wall);
      const counts: Record<string, number> = {};
      for (const c of during) counts[c.operation] = (counts[c.operation] ?? 0) + 1;
      calls.push(counts);
    } finally {
      await kms.stop();
    }
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  const describes = median(calls.map((c) => c.DescribeCustomKeyStores ?? 0));
  const total = median(calls.map((c) => Object.values(c).reduce<number>((a, b) => a + (b ?? 0), 0)));
  // The least possible: one describe to learn the state, one ListKeys page (the check for keys),
  // Disconnect, then one describe per isComplete call (the framework makes the first at once and
  // one per interval after it) until DISCONNECTED, and Delete.
  const minPolls = 1 + Math.ceil(disconnectMs / pollMs);
  const minimum = 1 + 1 + 1 + minPolls + 1;
  console.log(`  calls per run: ${calls.map((c) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')).join(' | ')}`);
  row('teardown: KMS calls / minimum', String(total), String(minimum), `${(total / minimum).toFixed(2)}x`, `DescribeCustomKeyStores ${describes}: the state check and ${minPolls} isComplete polls`);
  row('teardown: wall time / disconnect time', s(median(walls)), s(disconnectMs), `${(median(walls) / disconnectMs).toFixed(2)}x`, `delete ${s(median(lags))} after DISCONNECTED; goal within one poll (${s(pollMs)}): ${verdict(median(lags) <= pollMs)}`);
  const polls = Math.ceil(median(walls) / pollMs) + 1;
  row('teardown: DescribeCustomKeyStores per isComplete poll', ((describes - 1) / polls).toFixed(2), '1', `${describes - 1} in ${polls} polls`, `goal <= 1 per poll interval: ${verdict(describes - 1 <= polls)}`);
}

/**
 * 2b. Deploying a store with 10 keys: KMS key calls per key, against the calls each needs (CreateKey,
 * and DisableKey for a key declared `enabled: false`, which acts on the key right after CreateKey).
 */
async function keysDeploy(keyVisibilityLagMs: number, enabled = true): Promise<number> {
  const keys = 10;
  const lag = keyVisibilityLagMs > 0 ? `new keys invisible to reads for ${keyVisibilityLagMs} ms` : 'no key visibility lag';
  const kind = enabled ? 'keys' : 'disabled keys';
  const needed = enabled ? 1 : 2;
  console.log(`\n2b. Deploying a store with ${keys} ${kind} (CustomKeyStoreKey), real quotas (CreateKey 5/s), ${lag}`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bench-keys-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchKeys', { env: { account: '111122223333', region: 'us-east-1' } });
  const store = new CustomKeyStore(stack, 'Store', {
    customKeyStoreName: 'bench-keys',
    backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: 'https://xks.example.com', proxyUriPath: '/kms/xks/v1', proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'Credential', 'bench/xks') }),
  });
  for (let i = 0; i < keys; i++) store.addKey(`Key${i}`, { xksKeyId: `bench-key-${i}`, enabled });
  app.synth();
  const credential = JSON.stringify({ accessKeyId: 'BENCHAKIDXKSPROXY23456', secretAccessKey: 'BenchSecretAccessKeyForTheLocalXksProxy0123456789' });
  const perKey: number[] = [];
  const throttled: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const kms = await startLocalKms({ connectMs: 100, disconnectMs: 100, keyVisibilityLagMs });
    try {
      const local = new StackRunner('BenchKeys', { kms, queryIntervalMs: 200, importedSecrets: { 'bench/xks': credential } });
      const report = await local.deploy(outdir);
      if (report.stackStatus !== 'CREATE_COMPLETE' || local.keyIds().length !== keys) throw new Error(`deploy: ${report.stackStatus}`);
      // Every call the key resources made (store operations excluded), throttled ones included.
      const keyCalls = kms.calls.filter((c) => !/CustomKeyStore|GetSecretValue/.test(c.operation));
      perKey.push(keyCalls.length / keys);
      throttled.push(keyCalls.filter((c) => c.outcome === 'ThrottlingException').length);
    } finally {
      await kms.stop();
    }
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  const measured = median(perKey);
  const minimum = enabled ? 'one CreateKey' : 'CreateKey and DisableKey';
  row(
    `deploy a store with ${keys} ${kind} (${lag}): KMS calls per key / minimum (${minimum})`,
    measured.toFixed(2),
    String(needed),
    `${(measured / needed).toFixed(2)}x`,
    `${median(throttled)} throttled CreateKey retried (the ${keys} keys are created at once against 5/s)${enabled ? '; no other call' : ''}`,
  );
  return measured;
}

/**
 * 2c. The connection watcher: KMS calls a minute for ten watched stores (five CloudHSM, five
 * external of which three have a probe key): one DescribeCustomKeyStores, one GenerateRandom per
 * CloudHSM store and one Encrypt per probed external store, no more; plus, for configuration
 * drift, one DescribeKey per key declared in a watched store (here the three probe keys) and the
 * declarations' GetParametersByPath pages (SSM, not KMS); store drift itself costs no KMS call.
 * And its run time.
 */
async function watcherCalls(): Promise<void> {
  const stores = 10;
  const minutes = 10;
  console.log(`\n2c. Connection watcher: ${stores} watched stores, ${minutes} scheduled runs (one a minute, as its rule runs it)`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bench-watch-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchWatch', { env: { account: '111122223333', region: 'us-east-1' } });
  const credential = secretsmanager.Secret.fromSecretNameV2(stack, 'Credential', 'bench/xks');
  const password = secretsmanager.Secret.fromSecretNameV2(stack, 'Password', 'bench/kmsuser');
  const clusters: Record<string, object> = {};
  const hsmStores = 5;
  const probedExternal = 3;
  for (let i = 0; i < stores; i++) {
    const clusterId = `cluster-benchwatch${'abcdefghij'[i]}`;
    const hsm = i < hsmStores;
    if (hsm) clusters[clusterId] = {};
    const store = new CustomKeyStore(stack, `Store${i}`, {
      customKeyStoreName: `bench-watch-${i}`,
      backend: hsm
        ? KeyStoreBackend.cloudHsm({ clusterId, trustAnchorCertificate: BENCH_TRUST_ANCHOR, keyStorePassword: password })
        : KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: `https://xks${i}.example.com`, proxyUriPath: '/kms/xks/v1', proxyCredential: credential }),
      monitorConnection: true,
    });
    if (!hsm && i < hsmStores + probedExternal) store.useHealthProbeKey(store.addKey('Probe', { xksKeyId: `probe-${i}` }));
  }
  app.synth();
  const kms = await startLocalKms({ connectMs: 100, disconnectMs: 100, clusters });
  try {
    const local = new StackRunner('BenchWatch', {
      kms,
      queryIntervalMs: 200,
      importedSecrets: { 'bench/xks': JSON.stringify({ accessKeyId: 'BENCHAKIDXKSPROXY23456', secretAccessKey: 'BenchSecretAccessKeyForTheLocalXksProxy0123456789' }), 'bench/kmsuser': 'BenchKmsUserPassword1' },
    });
    if ((await local.deploy(outdir)).stackStatus !== 'CREATE_COMPLETE') throw new Error('deploy failed');
    // The runs are a minute apart in AWS; here a second apart is enough for the endpoint's
    // one-second quota window to be as empty as it would be (the deployment's polling included).
    const quotaWindow = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_100));
    await quotaWindow();
    const since = kms.calls.length;
    const runMs: number[] = [];
    for (let minute = 0; minute < minutes; minute++) {
      const runStarted = performance.now();
      await local.runSchedules();
      runMs.push(performance.now() - runStarted);
      await quotaWindow();
    }
    // Every call that reached KMS counts, throttled ones included: they spend the same quota.
    const describes = kms.calls.slice(since).filter((c) => c.operation === 'DescribeCustomKeyStores').length;
    const published = kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected').length;
    console.log(`  DescribeCustomKeyStores calls: ${describes} in ${minutes} runs; Connected data published: ${published}`);
    const perMinute = describes / minutes;
    row(`connection watcher, ${stores} stores: DescribeCustomKeyStores calls a minute / one call per store`, perMinute.toFixed(2), String(stores), `${(perMinute / stores).toFixed(2)}x`, `goal at most 1 a minute, of the 5/s account quota the deployment handler shares: ${verdict(perMinute <= 1)}`);
    const probeOps = ['DescribeCustomKeyStores', 'GenerateRandom', 'Encrypt'];
    const kmsPerMinute = kms.calls.slice(since).filter((c) => probeOps.includes(c.operation)).length / minutes;
    const allowed = 1 + hsmStores + probedExternal;
    const countOf = (operation: string): number => kms.calls.slice(since).filter((c) => c.operation === operation).length / minutes;
    const describeKeysPerMinute = countOf('DescribeKey');
    const declaredKeys = probedExternal;
    console.log(`  KMS calls a minute (DescribeCustomKeyStores, GenerateRandom, Encrypt): ${kmsPerMinute.toFixed(2)}; DescribeKey (key drift): ${describeKeysPerMinute.toFixed(2)}; SSM GetParametersByPath: ${countOf('GetParametersByPath').toFixed(2)}; run times ${runMs.map((m) => m.toFixed(0)).join(', ')} ms`);
    row(`connection watcher, ${stores} stores (${hsmStores} CloudHSM, ${probedExternal} external probed): KMS calls a minute / 1 + one per probed store`, kmsPerMinute.toFixed(2), String(allowed), `${(kmsPerMinute / allowed).toFixed(2)}x`, `goal no more than 1 + ${hsmStores} + ${probedExternal} (store drift adds none): ${verdict(kmsPerMinute <= allowed)}`);
    row(`connection watcher, ${declaredKeys} keys declared in watched stores: DescribeKey calls a minute / one per declared key (key drift)`, describeKeysPerMinute.toFixed(2), String(declaredKeys), `${(describeKeysPerMinute / declaredKeys).toFixed(2)}x`, `goal no more than one per declared key: ${verdict(describeKeysPerMinute <= declaredKeys)}`);
    row(`connection watcher, ${stores} stores: run time (median of ${minutes}, local endpoint)`, `${median(runMs).toFixed(0)} ms`, '60000 ms', `${(median(runMs) / 60_000).toFixed(3)}x`, `goal well under the 1-minute schedule and timeout: ${verdict(median(runMs) < 10_000)}`);
  } finally {
    await kms.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * 2d. The janitor (deferred deletion): stores handed over, each with a key pending deletion, in an
 * account with other keys. Per run: DescribeCustomKeyStores calls (goal: at most one, whatever the
 * number of stores), and the key scan only for stores whose last deletion date has passed.
 */
async function janitorCalls(): Promise<void> {
  const stores = 10;
  const runs = 5;
  const otherKeys = 200;
  console.log(`\n2d. Janitor: ${stores} stores handed over for deferred deletion, a key pending deletion in each, ${otherKeys} other keys in the account; ${runs} runs before the dates, then runs after`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bench-janitor-'));
  const app = new App({ outdir });
  new CustomKeyStoreJanitor(new Stack(app, 'BenchJanitor', { env: { account: '111122223333', region: 'us-east-1' } }), 'Janitor');
  app.synth();
  const clusters: Record<string, object> = {};
  for (let i = 0; i < stores; i++) clusters[`cluster-benchjanit${'abcdefghij'[i]}`] = {};
  const kms = await startLocalKms({ connectMs: 10, disconnectMs: 10, clusters, keyVisibilityLagMs: 0 });
  try {
    const runner = new StackRunner('BenchJanitor', { kms, queryIntervalMs: 100 });
    if ((await runner.deploy(outdir)).stackStatus !== 'CREATE_COMPLETE') throw new Error('deploy failed');
    kms.model.addPlainKeys(otherKeys);
    for (let i = 0; i < stores; i++) {
      const id = kms.model.CreateCustomKeyStore({ CustomKeyStoreName: `released/Bench/Store/${i}`, CloudHsmClusterId: `cluster-benchjanit${'abcdefghij'[i]}`, TrustAnchorCertificate: BENCH_TRUST_ANCHOR, KeyStorePassword: 'BenchKmsUserPassword1' }).CustomKeyStoreId as string;
      kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: id });
      kms.clock.advance(20);
      const keyId = (kms.model.CreateKey({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }).KeyMetadata as { KeyId: string }).KeyId;
      const deletion = kms.model.ScheduleKeyDeletion({ KeyId: keyId, PendingWindowInDays: 7 }).DeletionDate as number;
      const name = `released/Bench/Store/${i}`;
      kms.ssm.PutParameter({ Name: `${REGISTRY_PATH}/${id}`, Type: 'String', Value: JSON.stringify({ storeId: id, storeName: name, storeType: 'AWS_CLOUDHSM', stackId: 'bench', logicalId: 'Store', registeredAt: new Date(kms.clock.now()).toISOString(), lastDeletionDate: new Date(deletion * 1000).toISOString(), connectionState: 'CONNECTED' }) });
    }
    const count = (since: number, operation: string): number => kms.calls.slice(since).filter((c) => c.operation === operation).length;
    const quotaWindow = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_100));
    let since = kms.calls.length;
    for (let r = 0; r < runs; r++) {
      await runner.runSchedules();
      await quotaWindow();
    }
    const describesBefore = count(since, 'DescribeCustomKeyStores') / runs;
    const scansBefore = count(since, 'ListKeys') / runs;
    console.log(`  before the dates: DescribeCustomKeyStores ${describesBefore.toFixed(2)} a run, ListKeys ${scansBefore.toFixed(2)} a run, DescribeKey ${(count(since, 'DescribeKey') / runs).toFixed(2)} a run`);
    row(`janitor, ${stores} waiting stores: DescribeCustomKeyStores calls a run / one per store`, describesBefore.toFixed(2), String(stores), `${(describesBefore / stores).toFixed(2)}x`, `goal at most 1 a run whatever the number of stores: ${verdict(describesBefore <= 1)}`);
    row(`janitor, ${stores} stores whose keys still wait: key scans (ListKeys) a run`, scansBefore.toFixed(2), '0', '-', `goal 0 before the last deletion date: ${verdict(scansBefore === 0)}`);
    kms.clock.advance(8 * 86_400_000);
    since = kms.calls.length;
    const after: number[] = [];
    for (let r = 0; r < 3; r++) {
      const at = kms.calls.length;
      await runner.runSchedules();
      after.push(count(at, 'DescribeKey'));
      kms.clock.advance(50);
      await quotaWindow();
    }
    const left = kms.model.storeSnapshot().length;
    console.log(`  after the dates: DescribeKey per run ${after.join(', ')}; DisconnectCustomKeyStore ${count(since, 'DisconnectCustomKeyStore')}, DeleteCustomKeyStore ${count(since, 'DeleteCustomKeyStore')}; stores left ${left}`);
    // The stores' own keys are gone by then (their deletion dates passed): the account holds the others.
    const keysInAccount = otherKeys;
    row(`janitor, after the dates, ${stores} stores due: DescribeKey calls in the first run / keys in the account (one shared pass)`, String(after[0]), String(keysInAccount), `${(after[0] / keysInAccount).toFixed(2)}x`, `goal one pass whatever the number of stores, stores deleted within 3 runs: ${verdict(after[0] <= keysInAccount && left === 0)}`);
  } finally {
    await kms.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** 3. Cold start: a fresh node process to the first completed KMS call, bundle vs bare SDK. */
async function coldStart(): Promise<void> {
  console.log('\n3. Cold start: fresh node process to the first completed KMS call');
  const bundle = path.join(root, 'assets', 'custom-key-store-handler', 'index.js');
  const bundleBytes = fs.statSync(bundle).size;
  const awsCustomResource = path.join(root, 'node_modules', 'aws-cdk-lib', 'custom-resource-handlers', 'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js');
  const kms = await startLocalKms();
  try {
    const env = { ...process.env, ...kms.sdkEnvironment(), NODE_NO_WARNINGS: '1' };
    const handlerScript = `require(${JSON.stringify(bundle)}).onEvent({ RequestType: 'Delete', PhysicalResourceId: '${NO_STORE}', ResourceProperties: {} }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
    const bareScript = `const { KMSClient, DescribeCustomKeyStoresCommand } = require('@aws-sdk/client-kms'); new KMSClient({}).send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: '${NO_STORE}' })).then(() => process.exit(1), (e) => process.exit(e.name === 'CustomKeyStoreNotFoundException' ? 0 : 1));`;
    // Asynchronous: the endpoint answering the child lives in this process's event loop.
    const run = async (script: string): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const child = spawn(process.execPath, ['-e', script], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (status !== 0) throw new Error(`cold start run failed with status ${String(status)}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const handlerMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      handlerMs.push(await run(handlerScript));
      bareMs.push(await run(bareScript));
    }
    console.log(`  handler: ${handlerMs.map((m) => m.toFixed(0)).join(', ')} ms; bare SDK: ${bareMs.map((m) => m.toFixed(0)).join(', ')} ms`);
    row('cold start: bundled handler / bare @aws-sdk/client-kms script', `${median(handlerMs).toFixed(0)} ms`, `${median(bareMs).toFixed(0)} ms`, `${(median(handlerMs) / median(bareMs)).toFixed(2)}x`, `goal <= 1.2x: ${verdict(median(handlerMs) / median(bareMs) <= 1.2)}`);
    row('bundle size: handler / 1 MB', `${(bundleBytes / 1024).toFixed(0)} KiB`, '1024 KiB', `${(bundleBytes / 1048576).toFixed(2)}x`, `goal < 1 MB: ${verdict(bundleBytes < 1048576)}`);
    for (const name of ['connection-watcher', 'proxy-credential-sync']) {
      const bytes = fs.statSync(path.join(root, 'assets', name, 'index.js')).size;
      row(`bundle size: ${name} / 1 MB`, `${(bytes / 1024).toFixed(0)} KiB`, '1024 KiB', `${(bytes / 1048576).toFixed(2)}x`, `goal < 1 MB: ${verdict(bytes < 1048576)}`);
    }
    if (fs.existsSync(awsCustomResource)) {
      const ref = fs.statSync(awsCustomResource).size;
      row("bundle size: handler / aws-cdk-lib's AwsCustomResource handler (reference)", `${(bundleBytes / 1024).toFixed(0)} KiB`, `${(ref / 1024).toFixed(0)} KiB`, `${(bundleBytes / ref).toFixed(2)}x`, 'reference only');
    }
  } finally {
    await kms.stop();
  }
}

/** 4. Synth time and resources for 1 store and for 10 (the account limit). */
function synthScaling(): void {
  console.log('\n4. Synth scaling: 1 store vs 10 stores');
  const synth = (stores: number): [number, number, number] => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bench-synth-'));
    const t0 = process.hrtime.bigint();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Scale', { env: { account: '111122223333', region: 'us-east-1' } });
    const credential = secretsmanager.Secret.fromSecretNameV2(stack, 'Credential', 'bench/xks');
    for (let i = 0; i < stores; i++) {
      new CustomKeyStore(stack, `Store${i}`, {
        customKeyStoreName: `store-${i}`,
        backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: `https://xks${i}.example.com`, proxyUriPath: '/kms/xks/v1', proxyCredential: credential }),
      });
    }
    app.synth();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const resources = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }> };
    fs.rmSync(outdir, { recursive: true, force: true });
    const all = Object.keys(resources.Resources).length;
    const custom = Object.values(resources.Resources).filter((r) => r.Type === 'Custom::KmsCustomKeyStore').length;
    return [ms, all, custom];
  };
  synth(1); // warm the module cache
  const one: number[] = [];
  const ten: number[] = [];
  let counts: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < RUNS; i++) {
    const a = synth(1);
    const b = synth(10);
    one.push(a[0]);
    ten.push(b[0]);
    counts = [a[1], a[2], b[1], b[2]];
  }
  console.log(`  1 store: ${one.map((m) => m.toFixed(0)).join(', ')} ms; 10 stores: ${ten.map((m) => m.toFixed(0)).join(', ')} ms`);
  row('synth: 10 stores / 1 store', `${median(ten).toFixed(0)} ms`, `${median(one).toFixed(0)} ms`, `${(median(ten) / median(one)).toFixed(2)}x`, `goal < 1.3x: ${verdict(median(ten) / median(one) < 1.3)}`);
  row('resources: 10 stores / 1 store', String(counts[2]), String(counts[0]), `+${counts[2] - counts[0]} resources, +${counts[3] - counts[1]} key stores`, `goal: exactly one custom resource per store: ${verdict(counts[2] - counts[0] === 9 && counts[3] - counts[1] === 9)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, ${os.platform()} ${os.arch()}`);
  console.log(`Medians over ${RUNS} runs; the sequential baseline runs once.${QUICK ? ' (--quick: smaller inputs)' : ''}`);
  // BENCH_ONLY=watcher runs the watcher's measure alone; BENCH_ONLY=keys (or --keys) the key deploys alone.
  const only = process.env.BENCH_ONLY ?? (process.argv.includes('--keys') ? 'keys' : undefined);
  if (only === undefined) {
    await keyScan();
    await teardown();
  }
  if (only === undefined || only === 'keys') {
    const unlagged = await keysDeploy(0);
    // The emulator's default lag: the keys are created enabled, so no read follows CreateKey and the lag costs no call.
    const lagged = await keysDeploy(100);
    row('the same: KMS calls per key with the lag / without', lagged.toFixed(2), unlagged.toFixed(2), `${(lagged / unlagged).toFixed(2)}x`, `goal 1.00x, no more than 1.50 calls per key: ${verdict(lagged <= unlagged && lagged <= 1.5)}`);
    // Disabled keys: DisableKey follows CreateKey at once, so the lag is met, and costs its retries only then.
    const disabledUnlagged = await keysDeploy(0, false);
    const disabledLagged = await keysDeploy(100, false);
    row('disabled keys: KMS calls per key with the lag / without (the retries of DisableKey the lag costs)', disabledLagged.toFixed(2), disabledUnlagged.toFixed(2), `${(disabledLagged / disabledUnlagged).toFixed(2)}x`, 'the lag costs calls only where it is met');
  }
  if (only === undefined || only === 'watcher') {
    await watcherCalls();
  }
  if (only === undefined || only === 'janitor') {
    await janitorCalls();
  }
  if (only === undefined) {
    await coldStart();
    synthScaling();
  }
  console.log('\n| measure | this project | baseline | ratio | goal |\n| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nBench finished in ${s(Date.now() - started)}.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
