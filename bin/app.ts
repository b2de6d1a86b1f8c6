#!/usr/bin/env node
/**
 * Example app: one custom key store of each kind, a KMS key in each connected store, and the
 * recommended alarms, the connection watcher and the proxy credential sync for the connected ones.
 * `npx cdk synth` works offline; `npm run demo` deploys and destroys it against the local KMS
 * endpoint.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CustomKeyStore, CustomKeyStoreKey, KeyStoreBackend } from '../lib';

export const EXAMPLE_STACK_NAME = 'KmsCustomKeyStoresExample';
/** The proxy credential the XKS proxy issued, kept in Secrets Manager outside the stack. */
export const PROXY_CREDENTIAL_SECRET_NAME = 'kms/xks-proxy/credential';

export interface ExampleKeyStoresStackProps extends StackProps {
  /**
   * What happens to the example's KMS keys when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN, as kms.Key
   */
  readonly keyRemovalPolicy?: RemovalPolicy;

  /**
   * The id of the external key (in the XKS proxy's key manager) behind the external store's KMS key.
   *
   * @default 'payments-key-1'
   */
  readonly externalKeyId?: string;

  /**
   * Whether the stores are handed to the account's CustomKeyStoreJanitor when the stack deletes
   * them while their keys wait for their deletion date (see the README, deferred deletion).
   *
   * @default false
   */
  readonly deferDeletion?: boolean;
}

export class ExampleKeyStoresStack extends Stack {
  public readonly cloudHsmStore: CustomKeyStore;
  public readonly externalStore: CustomKeyStore;
  public readonly vpcExternalStore: CustomKeyStore;
  public readonly paymentsKey: CustomKeyStoreKey;
  public readonly externalKey: CustomKeyStoreKey;

  constructor(scope: Construct, id: string, props: ExampleKeyStoresStackProps = {}) {
    super(scope, id, props);

    // Generated here, then set as kmsuser's password in the cluster.
    const kmsUserPassword = new secretsmanager.Secret(this, 'KmsUserPassword', {
      description: 'Password of the kmsuser crypto user of the payments CloudHSM cluster',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    Validations.of(kmsUserPassword).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: "The kmsuser password is a bootstrap credential: KMS rotates kmsuser's password in the cluster itself on every connect, so a Secrets Manager rotation would change nothing KMS uses. A reset password goes into a new secret (see keyStorePassword).",
    });
    this.cloudHsmStore = new CustomKeyStore(this, 'PaymentsHsm', {
      customKeyStoreName: 'payments-hsm',
      backend: KeyStoreBackend.cloudHsm({
        clusterId: 'cluster-2a23b4cdefg',
        trustAnchorCertificate: fs.readFileSync(path.join(__dirname, 'customerCA.crt'), 'utf8'),
        keyStorePassword: kmsUserPassword,
      }),
      // CloudHSM key stores publish no KMS metric: the watcher reports whether the store is connected.
      monitorConnection: true,
      deferDeletion: props.deferDeletion,
    });

    const proxyCredential = secretsmanager.Secret.fromSecretNameV2(this, 'ProxyCredential', PROXY_CREDENTIAL_SECRET_NAME);
    this.externalStore = new CustomKeyStore(this, 'ExternalStore', {
      customKeyStoreName: 'payments-xks',
      backend: KeyStoreBackend.externalPublicEndpoint({
        proxyUriEndpoint: 'https://xks.example.com',
        proxyUriPath: '/payments/kms/xks/v1',
        proxyCredential,
      }),
      monitorConnection: true,
      // Rotating the proxy credential's secret reaches KMS without a redeploy.
      syncProxyCredential: true,
      deferDeletion: props.deferDeletion,
    });

    this.vpcExternalStore = new CustomKeyStore(this, 'VpcExternalStore', {
      customKeyStoreName: 'payments-xks-private',
      backend: KeyStoreBackend.externalVpcEndpointService({
        proxyUriEndpoint: 'https://xks-private.example.com',
        proxyUriPath: '/kms/xks/v1',
        vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
        proxyCredential,
      }),
      // Kept out of use (no keys, disconnected). KMS checks the proxy at create, so it is in service.
      connected: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The KMS Developer Guide's alarms for the external store, the cluster's health for the
    // CloudHSM store, and for both, an alarm when the store stays disconnected.
    this.cloudHsmStore.addRecommendedAlarms();
    this.externalStore.addRecommendedAlarms();

    // A KMS key in each connected store: AWS::KMS::Key cannot place a key in a custom key store.
    this.paymentsKey = new CustomKeyStoreKey(this, 'PaymentsKey', {
      customKeyStore: this.cloudHsmStore,
      description: 'payments data key',
      alias: 'alias/payments',
      pendingWindow: Duration.days(7),
      removalPolicy: props.keyRemovalPolicy,
    });
    this.externalKey = this.externalStore.addKey('ExternalKey', {
      xksKeyId: props.externalKeyId ?? 'payments-key-1',
      description: 'payments key held in the external key manager',
      pendingWindow: Duration.days(7),
      removalPolicy: props.keyRemovalPolicy,
    });
  }
}

export function createExampleApp(outdir?: string, options: Pick<ExampleKeyStoresStackProps, 'keyRemovalPolicy' | 'externalKeyId' | 'deferDeletion'> = {}): App {
  const app = new App({ outdir });
  new ExampleKeyStoresStack(app, EXAMPLE_STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' }, ...options });
  return app;
}

if (require.main === module) {
  createExampleApp().synth();
}
