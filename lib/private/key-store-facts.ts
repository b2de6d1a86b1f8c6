/**
 * What a key needs to know about a store declared in this app that the store's public API does
 * not say: whether the stack asks for it to be connected. KMS cannot create keys in a
 * disconnected store, so a key in a store declared with `connected: false` is refused at synth.
 */
import { IConstruct } from 'constructs';

export interface DeclaredStoreFacts {
  readonly connected: boolean;
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  readonly type: string;
  readonly name: string;
}

const facts = new WeakMap<IConstruct, DeclaredStoreFacts>();

/** Called by CustomKeyStore's constructor. */
export function recordDeclaredStore(store: IConstruct, storeFacts: DeclaredStoreFacts): void {
  facts.set(store, storeFacts);
}

/** The facts of a store declared in this app, or undefined for an imported store. */
export function declaredStoreFacts(store: IConstruct): DeclaredStoreFacts | undefined {
  return facts.get(store);
}
