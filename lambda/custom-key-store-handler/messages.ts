/**
 * The provider-level texts of the deployment handler: an event that is not one the constructs
 * send, and a failure the handler did not foresee. The store's and the key's own texts are in
 * store/messages.ts and key/messages.ts.
 */
/**
 * An event the constructs never send, for a store and a key alike. It begins with the one code
 * MalformedEvent, which pipelines can match.
 */
export function malformedEventMessage(what: string): string {
  return `MalformedEvent: ${what}. No KMS call was made. The resource properties come from this library's constructs (CustomKeyStore, CustomKeyStoreKey); synthesize the stack again with this library rather than editing the template.`;
}

export function unexpectedFailureMessage(errorName: string, detail: string, requestType: string | undefined, phase: string, subject: 'custom key store' | 'KMS key', id: string | undefined): string {
  const what = subject === 'KMS key' ? { name: `KMS key ${id ?? '(new)'}`, it: 'the key' } : { name: id ?? 'a new store', it: 'the store' };
  return `${errorName}: ${detail} (during ${requestType ?? 'an unknown request'} ${phase} of ${what.name}; ${what.it} is as the last completed step left it, see the handler's log, and the deployment can be retried)`;
}
