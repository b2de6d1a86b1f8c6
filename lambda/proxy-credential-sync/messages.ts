/** The texts of the proxy credential sync's results: what happened to a store's credential, and what the next run does. */
/** KMS refused the secret's current credential: the store keeps the one it had. */
export function credentialSyncRejectedReason(errorName: string, detail: string, secretArn: string): string {
  return (
    `${errorName}: ${detail} KMS kept the credential it had, and the store's connection state did not change. ` +
    `Make the XKS proxy accept the credential in secret ${secretArn} (or put back the one it accepts); the next scheduled run tries again.`
  );
}

/** A store KMS accepts no change in right now. */
export function credentialSyncDeferredReason(state: string): string {
  return `the store is ${state}; KMS changes a credential only while CONNECTED or DISCONNECTED, so the next run tries again`;
}
