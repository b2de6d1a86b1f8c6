/**
 * What a failed availability probe means, by the exception KMS raised: logged with the store so that
 * whoever the Unavailable alarm pages knows where to look first.
 */
const MEANINGS: Readonly<Partial<Record<string, string>>> = {
  DependencyTimeoutException:
    "KMS timed out reaching the store's backing: for a CloudHSM key store the cluster's network path or its HSMs' load; for an external key store the XKS proxy, its network path (VPC endpoint service) or its external key manager.",
  KMSInternalException:
    "KMS could not use the CloudHSM cluster although the store is CONNECTED: the cluster may have no active HSM left, kmsuser may be locked out or logged in, or the cluster may be gone. Check the cluster's HSMs and kmsuser; a reconnect reports the exact ConnectionErrorCode.",
  KMSInvalidStateException:
    'KMS could not use the key through its store: for an external key store the proxy or the external key manager refused the request (credential, authorization, external key missing or disabled); the XksProxyErrors metric and the proxy\'s logs say which. It is also the answer for a probe key pending deletion.',
  DisabledException: 'The probe key is disabled: the probe cannot tell anything until it is enabled again (EnableKey).',
  NotFoundException: 'The probe key no longer exists: name another key of the store as its probe key and deploy.',
  AccessDeniedException: "The connection watcher's role may not call the probe: the probe key's key policy must let the account's IAM policies (or the watcher's role) use kms:Encrypt.",
  KeyUnavailableException: 'KMS says the key is not available right now; KMS calls this retryable: if it lasts, check the store\'s backing.',
};

/** Why an exception does not make the store unavailable (the probe tells nothing this time). */
const INCONCLUSIVE: Readonly<Partial<Record<string, string>>> = {
  ThrottlingException: "The probe was throttled: the account's or the store's request quota was exhausted by other callers this minute; the store's availability is unknown, not bad.",
  CustomKeyStoreInvalidStateException: 'The store left CONNECTED between the watcher\'s read and the probe: the Connected metric reports it on the next run.',
};

export function probeFailureMeaning(exceptionName: string): string {
  return INCONCLUSIVE[exceptionName] ?? MEANINGS[exceptionName] ?? `The probe failed with ${exceptionName}: KMS could not use the store just now. Check the store's backing, then the watcher's log for the exception's message.`;
}

/** A failure that says nothing about the store's availability: no Available datum is published. */
export function isInconclusive(exceptionName: string): boolean {
  return exceptionName in INCONCLUSIVE;
}
