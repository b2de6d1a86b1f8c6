export { CustomKeyStore } from './custom-key-store';
export type { CustomKeyStoreProps, ICustomKeyStore } from './custom-key-store';
export { KeyStoreBackend } from './key-store-backend';
export type {
  CloudHsmBackendProps,
  ExternalBackendProps,
  ExternalVpcEndpointServiceBackendProps,
  KeyStoreBackendConfig,
} from './key-store-backend';
