/** The kind of a custom key store, as KMS names it (`CustomKeyStoreType`). */
export enum CustomKeyStoreType {
  /** A CloudHSM key store: the key material lives in an AWS CloudHSM cluster. */
  AWS_CLOUDHSM = 'AWS_CLOUDHSM',
  /** An external key store: the key material lives in a key manager outside AWS, behind an XKS proxy. */
  EXTERNAL_KEY_STORE = 'EXTERNAL_KEY_STORE',
}
