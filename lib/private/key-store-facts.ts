/**
 * What a key needs to know about a store declared in this app that the store's public
 * API does not say: that the stack asks for it to be disconnected. KMS cannot create keys in a
 * disconnected store, so a key in a store declared with `connected: false` is refused at synth.
 * (The store's type and name are public: `customKeyStoreType`, `customKeyStoreName`.) And where
 * a key hands the store what it declares, for the connection watcher's drift check of a watched
 * store's keys (the store and the key know each other only through these records).
 */
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { DeclaredKey } from './contract/operations-metrics';

const disconnected = new WeakSet<IConstruct>();

/** A key declared in a store of this app: its construct, its declaration and the key to grant DescribeKey on. */
export interface KeyDeclaration {
  readonly owner: Construct;
  readonly declared: DeclaredKey;
  readonly key: kms.IKey;
}

const keyListeners = new WeakMap<IConstruct, (key: KeyDeclaration) => void>();

/** Called by CustomKeyStore's constructor: how its keys reach it, whenever they are declared. */
export function listenForKeys(store: IConstruct, listener: (key: KeyDeclaration) => void): void {
  keyListeners.set(store, listener);
}

/** Called by CustomKeyStoreKey's constructor; nothing happens for an imported store. */
export function recordKey(store: IConstruct, key: KeyDeclaration): void {
  keyListeners.get(store)?.(key);
}

/** Called by CustomKeyStore's constructor for a store declared with `connected: false`. */
export function recordDeclaredDisconnected(store: IConstruct): void {
  disconnected.add(store);
}

export function isDeclaredDisconnected(store: IConstruct): boolean {
  return disconnected.has(store);
}
