/**
 * The one thing a key needs to know about a store declared in this app that the store's public
 * API does not say: that the stack asks for it to be disconnected. KMS cannot create keys in a
 * disconnected store, so a key in a store declared with `connected: false` is refused at synth.
 * (The store's type and name are public: `customKeyStoreType`, `customKeyStoreName`.)
 */
import { IConstruct } from 'constructs';

const disconnected = new WeakSet<IConstruct>();

/** Called by CustomKeyStore's constructor for a store declared with `connected: false`. */
export function recordDeclaredDisconnected(store: IConstruct): void {
  disconnected.add(store);
}

export function isDeclaredDisconnected(store: IConstruct): boolean {
  return disconnected.has(store);
}
