/**
 * The availability probe: one KMS call a run for each CONNECTED store that can be probed, because
 * ConnectionState is not health ("If the value is CONNECTED but you are having trouble using the
 * custom key store, make sure that the backing key store is reachable and active": API model,
 * CustomKeyStoresListEntry.ConnectionState).
 *
 * - A CloudHSM key store: GenerateRandom with its CustomKeyStoreId, which "generates the random byte
 *   string in the CloudHSM cluster that is associated with the specified CloudHSM key store"
 *   (API model): cluster, HSMs and kmsuser end to end, no key needed.
 * - An external key store: Encrypt a few bytes with the probe key the stack named (GenerateRandom
 *   refuses an external store's id with UnsupportedOperationException).
 *
 * One attempt, no retry: a retried probe would hide a store that fails every other request and
 * inflate the latency it reports. Throttling is reported, but says nothing about the store.
 */
import { EncryptCommand, GenerateRandomCommand, KMSClient } from '@aws-sdk/client-kms';
import { isInconclusive, probeFailureMeaning } from './messages';

const PROBE_BYTES = 16;

export interface ProbeOutcome {
  /** Undefined when the probe was inconclusive (throttled, or the store just left CONNECTED). */
  readonly available?: boolean;
  readonly latencyMs: number;
  readonly exceptionName?: string;
  readonly meaning?: string;
  /** KMS's own message for the failure (it never carries key material or a credential). */
  readonly detail?: string;
}

/** Which call probes a store: undefined for an external key store without a probe key. */
export function probeCommand(storeId: string, storeType: string | undefined, probeKeyId: string | undefined): GenerateRandomCommand | EncryptCommand | undefined {
  if (storeType === 'AWS_CLOUDHSM') {
    return new GenerateRandomCommand({ NumberOfBytes: PROBE_BYTES, CustomKeyStoreId: storeId });
  }
  if (probeKeyId !== undefined) {
    // Fixed, non-secret bytes: the probe encrypts nothing anyone needs.
    return new EncryptCommand({ KeyId: probeKeyId, Plaintext: Buffer.from('kms-custom-key-store-probe'), EncryptionContext: { purpose: 'availability-probe' } });
  }
  return undefined;
}

export async function runProbe(kms: KMSClient, command: GenerateRandomCommand | EncryptCommand, elapsedMs: () => number): Promise<ProbeOutcome> {
  const start = elapsedMs();
  try {
    // The union of two commands has no single overload of send(); each is sent as itself.
    await (command instanceof GenerateRandomCommand ? kms.send(command) : kms.send(command));
    return { available: true, latencyMs: Math.round(elapsedMs() - start) };
  } catch (error) {
    const latencyMs = Math.round(elapsedMs() - start);
    const exceptionName = error instanceof Error ? error.name : 'UnknownError';
    const detail = error instanceof Error ? error.message.slice(0, 500) : undefined;
    return {
      ...(isInconclusive(exceptionName) ? {} : { available: false }),
      latencyMs,
      exceptionName,
      meaning: probeFailureMeaning(exceptionName),
      ...(detail ? { detail } : {}),
    };
  }
}
