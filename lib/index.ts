export { ConnectionState } from './connection-state';
export { CustomKeyStore } from './custom-key-store';
export type { CustomKeyStoreAttributes, CustomKeyStoreProps, ICustomKeyStore } from './custom-key-store';
export { CustomKeyStoreKey } from './custom-key-store-key';
export type { CustomKeyStoreKeyOptions, CustomKeyStoreKeyProps } from './custom-key-store-key';
export { CustomKeyStoreType } from './custom-key-store-type';
export { CustomKeyStoreErrors, CustomKeyStoreValidationError } from './errors';
export { KeyStoreBackend } from './key-store-backend';
export type { CloudHsmBackendProps, ExternalBackendProps, ExternalVpcEndpointServiceBackendProps } from './key-store-backend';
