/** The texts of the proxy credential sync's results: what happened to a store's credential, and what the next run does. */
/** KMS refused the secret's current credential: the store keeps the one it had. */
export function credentialSyncRejectedReason(errorName: string, detail: string, secretArn: string): string {
  return (
    `${errorName}: ${detail} KMS kept the credential it had, and the store's connection state did not change. ` +
    `Make the XKS proxy accept the credential in secret ${secretArn} (or put back the one it accepts); the next scheduled run tries again.`
  );
}

/** KMS could not check the new credential on the proxy for a passing reason: nothing changed. */
export function proxyUnavailableReason(errorName: string, detail: string): string {
  return `${errorName}: ${detail} KMS could not check the new credential on the XKS proxy just now (unreachable, no external key manager available, or an answer it could not interpret), so it kept the credential it had; this says nothing against the credential. The next run tries again; if it keeps happening, check the proxy's health.`;
}

/** A store KMS accepts no change in right now. */
export function credentialSyncDeferredReason(state: string): string {
  return `the store is ${state}; KMS changes a credential only while CONNECTED or DISCONNECTED, so the next run tries again`;
}

/** An AWS error as a result's reason: the exception's name, then its message. */
export function awsErrorReason(errorName: string, detail: string): string {
  return `${errorName}: ${detail}`;
}

/** The secret's AWSCURRENT version moved on after every update this run made. */
export function secretKeptChangingReason(rounds: number): string {
  return `the secret's current version changed ${rounds} times during this run; the next run finishes`;
}

/** DescribeSecret shows no version labelled AWSCURRENT. */
export function noCurrentVersionMessage(secretArn: string): string {
  return `secret ${secretArn} has no AWSCURRENT version`;
}
