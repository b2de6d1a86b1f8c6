/**
 * The connection states a deployment leaves a store in, the values of `CustomKeyStore.connectionState`.
 *
 * KMS has three more, which a deployment waits through and never ends in: `CONNECTING`,
 * `DISCONNECTING` and `FAILED` (a store that fails to connect fails the deployment).
 */
export enum ConnectionState {
  /** Connected: its KMS keys can be created and used. */
  CONNECTED = 'CONNECTED',
  /** Disconnected: its KMS keys are unavailable and no key can be created in it. */
  DISCONNECTED = 'DISCONNECTED',
}
