export { CustomKeyStore } from './custom-key-store';
export type { CustomKeyStoreProps, ICustomKeyStore } from './custom-key-store';
export { CustomKeyStoreKey } from './custom-key-store-key';
export type { CustomKeyStoreKeyOptions, CustomKeyStoreKeyProps } from './custom-key-store-key';
export { KeyStoreBackend } from './key-store-backend';
export type {
  CloudHsmBackendProps,
  ExternalBackendProps,
  ExternalVpcEndpointServiceBackendProps,
  KeyStoreBackendConfig,
} from './key-store-backend';
