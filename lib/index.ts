export { ConnectionState } from './connection-state';
export { CustomKeyStore } from './custom-key-store';
export type { CustomKeyStoreAttributes, CustomKeyStoreProps, ICustomKeyStore } from './custom-key-store';
export { CustomKeyStoreType } from './custom-key-store-type';
export { CustomKeyStoreErrors, CustomKeyStoreValidationError } from './errors';
export { KeyStoreBackend } from './key-store-backend';
export type { CloudHsmBackendProps, ExternalBackendProps, ExternalVpcEndpointServiceBackendProps } from './key-store-backend';
