/**
 * Seeded random lifecycles (split by store type over two test files, random-lifecycles-cloudhsm and
 * random-lifecycles-external, so that both cores run them) under the real
 * quotas, 10% KMSInternalException and 2% dropped connections, with every behaviour of real KMS
 * that a naive model would spare the handler: kmsuser's password rotated on every connect (a new
 * password is set in the cluster before it is deployed, as an operator does), external key store
 * changes that take a while to take effect (the old proxy goes away as the store moves), reads that
 * lag behind, keys whose key policy denies the handler DescribeKey, in the account and in the
 * store, and keys declared in the stack (some disabled) that KMS's reads do not show at once. Each must end where it should: every deploy reaches the declared state, the only failure
 * is an explained CustomKeyStoreHasCMKsException that leaves the store as it was, and the final
 * teardown leaves no store behind.
 */
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { LocalKms, seededRandom } from '../../local';
import { SECRETS, states, StoreSpec, synth, world } from './harness';

const MONTH = 31 * 86_400_000;
/** Clusters of one backup lineage, each restored from the one before. */
const RELATED_CLUSTERS = ['cluster-2a23b4cdefg', 'cluster-3b34c5defgh', 'cluster-4c45d6efghi', 'cluster-5d56e7fghij', 'cluster-6e67f2ghijk', 'cluster-7f72g3hijkl', 'cluster-2g23h4ijklm', 'cluster-3h34i5jklmn'];

function client(kms: LocalKms): KMSClient {
  // The test's own client rides out the same faults with the SDK's retries.
  return new KMSClient({ ...kms.clientConfig(), maxAttempts: 12 });
}

/** The store types a lifecycle plays; its seed's first draw picks one. */
const KINDS = ['hsm', 'xks'] as const;

/** The seeds of 1000-1049 whose lifecycle plays a store of `kind`: how the two test files share the 50. */
export function seedsOf(kind: (typeof KINDS)[number]): number[] {
  const seeds: number[] = [];
  for (let seed = 1000; seed < 1050; seed++) {
    if (KINDS[Math.floor(seededRandom(seed)() * KINDS.length)] === kind) seeds.push(seed);
  }
  return seeds;
}

type Step = 'toggle' | 'rename' | 'secret' | 'offline' | 'key' | 'declare' | 'schedule';
const STEPS: Step[] = ['toggle', 'rename', 'secret', 'offline', 'key', 'declare', 'schedule'];

/** What KMS shows of a key declared in the stack, as it really is (no visibility lag): its KeyState. */
function keyState(kms: LocalKms, keyId: string): string | undefined {
  const { model } = kms;
  const { KeyMetadata } = model.inspect(() => model.DescribeKey({ KeyId: keyId })) as { KeyMetadata?: { KeyState?: string } };
  return KeyMetadata?.KeyState;
}

async function lifecycle(seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const log: string[] = [`seed ${seed}`];
  // Polling at the DescribeCustomKeyStores quota (5/s), as the real 10 s interval stays far below it.
  const { kms, stack } = await world({ faults: { internalErrorRate: 0.1, dropRate: 0.02, seed }, visibilityLagMs: 150, xksPropagationMs: 300 }, 100);
  try {
    const kind = pick(KINDS);
    let spec: StoreSpec = { id: 'Store', name: `store-${seed}`, kind, connected: random() < 0.8, endpoint: 'https://a.example.com' };
    if (random() < 0.5) {
      // Someone else's key that the handler may not read, in the account but in no store.
      const other = await client(kms).send(new CreateKeyCommand({}));
      kms.model.lockKey(other.KeyMetadata?.KeyId ?? '');
      // KMS's reads show a new key only after a moment: the lifecycle starts once they do.
      kms.clock.advance(kms.model.keyVisibilityLagMs);
    }
    /** Keys an operator scheduled for deletion: they stay declared, as a stack knows nothing of it. */
    const scheduled = new Set<string>();
    const deploy = async (): Promise<void> => {
      const report = await stack.deploy(synth([spec]));
      log.push(`deploy ${JSON.stringify(spec)} -> ${report.stackStatus} ${report.events.map((e) => e.reason ?? '').join(' ')}`);
      expect(report.stackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
      expect(states(kms)).toEqual({ [spec.name]: spec.connected === false ? 'DISCONNECTED' : 'CONNECTED' });
      // Each declared key is in the store: usable while it is connected, Unavailable while it is not.
      expect(stack.keyIds()).toHaveLength(spec.keys?.length ?? 0);
      for (const key of spec.keys ?? []) {
        const keyId = stack.physicalId(stack.logicalIds().find((id) => new RegExp(`^Store${key.id}[0-9A-F]{8}$`).test(id)) ?? '') ?? '';
        const state = keyState(kms, keyId);
        if (scheduled.has(keyId)) {
          expect(['PendingDeletion', 'Unavailable']).toContain(state);
        } else {
          expect(state).toBe(spec.connected === false ? 'Unavailable' : key.enabled === false ? 'Disabled' : 'Enabled');
        }
      }
    };
    await deploy();
    const storeId = stack.keyStoreIds()[0];
    for (let i = 0, n = 3 + Math.floor(random() * 4); i < n; i++) {
      const step = pick(STEPS);
      log.push(`step ${step}`);
      switch (step) {
        case 'toggle':
          spec = { ...spec, connected: spec.connected === false };
          await deploy();
          break;
        case 'rename':
          spec = { ...spec, name: `${spec.name}-r` };
          await deploy();
          break;
        case 'secret':
          if (kind === 'hsm') {
            spec = { ...spec, password: spec.password === 'it/kmsuser-v2' ? 'it/kmsuser' : 'it/kmsuser-v2' };
            // The operator resets kmsuser's password in the cluster first: KMS rotated the old one away.
            kms.model.setKmsUserPassword(spec.clusterId ?? 'cluster-2a23b4cdefg', SECRETS[spec.password ?? 'it/kmsuser']);
          } else {
            spec = { ...spec, credential: spec.credential === 'it/xks-v2' ? 'it/xks' : 'it/xks-v2' };
          }
          await deploy();
          break;
        case 'offline':
          if (kind === 'hsm') {
            // A cluster restored from a backup of the current one: related, with kmsuser's password as it is now.
            const current = spec.clusterId ?? 'cluster-2a23b4cdefg';
            const next = RELATED_CLUSTERS[RELATED_CLUSTERS.indexOf(current) + 1];
            const password = kms.model.kmsUserPassword(current);
            if (password !== undefined) kms.model.setKmsUserPassword(next, password);
            spec = { ...spec, clusterId: next };
          } else {
            // The store moves to the other proxy, and the one it leaves goes away.
            const next = spec.endpoint === 'https://b.example.com' ? 'https://a.example.com' : 'https://b.example.com';
            kms.model.proxies.set(spec.endpoint ?? '', { reachable: false });
            kms.model.proxies.delete(next);
            spec = { ...spec, endpoint: next };
          }
          await deploy();
          break;
        case 'key':
          if (spec.connected !== false) {
            const key = await client(kms)
              .send(new CreateKeyCommand(kind === 'hsm' ? { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId } : { Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: `xks-key-${seed}-${i}` }))
              .catch((e: unknown) => {
                // The SDK retried a call whose first attempt took effect (a dropped answer): KMS
                // then refuses the second key on the same external key, as the endpoint does.
                expect((e as Error).name).toBe('XksKeyAlreadyInUseException');
                return undefined;
              });
            if (key?.KeyMetadata?.KeyId !== undefined && random() < 0.3) {
              kms.model.lockKey(key.KeyMetadata.KeyId);
            }
            // The operator goes on once KMS's reads show the new key (its visibility lag is over).
            kms.clock.advance(kms.model.keyVisibilityLagMs);
          }
          break;
        case 'declare':
          // A key declared in the stack, made by the deployment (CreateKey, then KMS's reads lag behind it).
          if (spec.connected !== false) {
            // A disabled one makes the handler act on the key right after CreateKey (DisableKey), in KMS's lag.
            spec = { ...spec, keys: [...(spec.keys ?? []), { id: `Key${i}`, enabled: random() < 0.5 ? false : undefined }] };
            log.push('key declared');
            await deploy();
          }
          break;
        case 'schedule':
          // The operator acts once KMS's reads show every key the last deploy made.
          kms.clock.advance(kms.model.keyVisibilityLagMs);
          for (const keyId of kms.model.keysIn(storeId)) {
            scheduled.add(keyId);
            await client(kms).send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch((e: unknown) => {
              expect((e as Error).name).toBe('KMSInvalidStateException');
            });
          }
          break;
      }
    }

    const before = states(kms)[spec.name];
    const destroyed = await stack.destroy();
    log.push(`destroy -> ${destroyed.stackStatus} ${destroyed.events.map((e) => e.reason ?? '').join(' ')}`);
    if (kms.model.keysIn(storeId).length > 0) {
      expect(destroyed.stackStatus).toBe('DELETE_FAILED');
      expect(destroyed.events.find((e) => e.status === 'DELETE_FAILED')?.reason).toMatch(/^CustomKeyStoreHasCMKsException: /);
      // No store left disconnected by a failed delete: it is as it was (once a reconnect finishes).
      kms.clock.advance(kms.model.connectMs + 1);
      expect(states(kms)[spec.name]).toBe(before);
      // The operator schedules every key once KMS's reads show them all (the last deploy may have made one).
      kms.clock.advance(kms.model.keyVisibilityLagMs);
      for (const keyId of kms.model.keysIn(storeId)) {
        await client(kms).send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })).catch(() => undefined);
      }
      kms.clock.advance(MONTH);
      const retried = await stack.destroy();
      log.push(`destroy again -> ${retried.stackStatus} ${retried.events.map((e) => e.reason ?? '').join(' ')}`);
      expect(retried.stackStatus).toBe('DELETE_COMPLETE');
    } else {
      expect(destroyed.stackStatus).toBe('DELETE_COMPLETE');
    }
    // No orphaned store.
    expect(states(kms)).toEqual({});
    log.push(`key visibility lag met ${kms.count(undefined, 'NotFoundException')} times`);
    log.push(`faults injected: ${kms.count(undefined, 'KMSInternalException')} internal errors, ${kms.count(undefined, 'ThrottlingException')} throttles, ${kms.count(undefined, 'dropped') + kms.count(undefined, 'dropped-after-effect')} drops`);
    return log;
  } catch (err) {
    // The handler's own account of the last steps: what a rare interleaving did, for whoever meets it.
    const handlerTail = stack.handlerLogs.slice(-40).map((l) => l.slice(0, 600));
    throw new Error(`${(err as Error).message}\n${log.join('\n')}\nhandler log (last 40 lines):\n${handlerTail.join('\n')}`);
  } finally {
    await kms.stop();
  }
}

/** Runs the lifecycles of `seeds` and checks that the faults really happened. */
export async function runLifecycles(seeds: readonly number[]): Promise<void> {
  const count = seeds.length;
  const totals = { internal: 0, drops: 0, lagMet: 0, keysDeclared: 0 };
  for (const seed of seeds) {
    const log = await lifecycle(seed);
    const text = log.join('\n');
    totals.internal += Number(/(\d+) internal errors/.exec(text)?.[1] ?? 0);
    totals.drops += Number(/(\d+) drops/.exec(text)?.[1] ?? 0);
    totals.lagMet += Number(/key visibility lag met (\d+) times/.exec(text)?.[1] ?? 0);
    totals.keysDeclared += log.filter((line) => line === 'key declared').length;
  }
  expect(totals.internal).toBeGreaterThan(count);
  expect(totals.drops).toBeGreaterThan(0);
  // The new-key behaviours were really met: keys declared in stacks, and reads that did not show them yet.
  expect(totals.keysDeclared).toBeGreaterThan(0);
  expect(totals.lagMet).toBeGreaterThan(0);
}
