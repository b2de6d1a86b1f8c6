/**
 * A Create with adoptExisting: a store of the declared name made outside the stack (the console,
 * the CLI, Terraform) is taken over instead of failing on the name. Before anything is touched it
 * must be the same kind of store: the same type and backing (CloudHSM cluster and trust anchor, or
 * XKS proxy endpoint, path, connectivity and VPC endpoint service), and for an external store the
 * same proxy credential access key id unless the credential is sent. Then the adoption is recorded
 * (adoption-record.ts) with the state the store was in, so that a rollback gives it back as it was
 * (release.ts), and isComplete connects or disconnects it as declared.
 *
 * Values KMS never shows (the kmsuser password, the secret access key) are sent only with
 * adoptSendsSecrets: the store works today with values the stack cannot see, and re-sending a
 * password KMS has since rotated would break it.
 */
import { ConnectionStateType, UpdateCustomKeyStoreCommandInput, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { OnEventResult } from '../events';
import { AdoptionRecords } from './adoption-record';
import { DesiredStore } from './desired';
import * as messages from './messages';
import { StoreSteps } from './steps';
import { samePem } from './update-plan';

const { CONNECTED, CONNECTING, DISCONNECTED, FAILED } = ConnectionStateType;

/** The adopted store's onEvent answer; undefined when no store has the name (a plain create follows). */
export async function adoptExisting(s: StoreSteps): Promise<OnEventResult | undefined> {
  const desired = s.request.want();
  const existing = await s.stores.describeByName(desired.name).catch((err: unknown) => {
    throw explain(err, messages.stepFailedContext('create', '', desired.name, '', errorName(err)));
  });
  const id = existing?.CustomKeyStoreId;
  if (!existing || !id) {
    return undefined;
  }
  const state = existing.ConnectionState ?? 'UNKNOWN';
  const differences = [...identityDifferences(existing, desired, s.request.stackAccount()), ...(await credentialDifference(s, existing, desired))];
  if (differences.length > 0) {
    throw new KeyStoreError(messages.adoptionMismatchMessage(id, desired.name, messages.stateName(state), differences));
  }
  const records = adoptionRecords(s);
  const { StackId: stackId = '', LogicalResourceId: logicalId = '' } = s.request.event;
  const earlier = await records.read(stackId, id);
  // A retried onEvent of this very Create keeps the state found the first time.
  const ours = earlier !== undefined && earlier.stackId === stackId && earlier.logicalId === logicalId;
  const prior = ours ? earlier.priorState : state;
  if (!ours) {
    await records.write(id, { stackId, logicalId, priorState: prior, adoptedAt: new Date(s.now()).toISOString() });
  }
  s.log({ step: 'adopted-existing', store: id, name: desired.name, type: desired.type, priorState: prior, previousOwner: earlier && earlier.stackId !== stackId ? earlier.stackId : undefined });
  if (desired.adoptSendsSecrets) {
    await sendSecrets(s, id, desired, state);
  } else if (state === FAILED && desired.connected) {
    // KMS connects a FAILED store only after a disconnect; isComplete then connects it.
    await s.disconnectIgnoringState(id);
  }
  return { PhysicalResourceId: id, StartedAt: s.request.startedAt(), Adopted: true };
}

export function adoptionRecords(s: StoreSteps): AdoptionRecords {
  if (!s.deps.adoptionRecords) {
    // index.ts always provides it; only a test that builds its own deps can leave it out.
    throw new Error('adoptExisting needs the adoption records (SSM): none were configured');
  }
  return s.deps.adoptionRecords;
}

/** What makes the existing store another store than the one declared, in the words of the message. */
function identityDifferences(existing: StoreView, desired: DesiredStore, stackAccount: string | undefined): string[] {
  const out: string[] = [];
  const differ = (field: string, shown: string | undefined, declared: string | undefined): void => {
    if (shown !== declared) out.push(`${field} is ${shown ?? 'not set'}, declared ${declared ?? 'not set'}`);
  };
  differ('CustomKeyStoreType', existing.CustomKeyStoreType, desired.type);
  if (out.length > 0) {
    return out;
  }
  if (desired.cloudHsm) {
    differ('CloudHsmClusterId', existing.CloudHsmClusterId, desired.cloudHsm.clusterId);
    if (existing.TrustAnchorCertificate !== undefined && !samePem(existing.TrustAnchorCertificate, desired.cloudHsm.trustAnchorCertificate)) {
      out.push('TrustAnchorCertificate differs from the declared certificate');
    }
    return out;
  }
  const xks = existing.XksProxyConfiguration ?? {};
  const declared = desired.external;
  differ('XksProxyUriEndpoint', xks.UriEndpoint, declared?.uriEndpoint);
  differ('XksProxyUriPath', xks.UriPath, declared?.uriPath);
  differ('XksProxyConnectivity', xks.Connectivity, declared?.connectivity);
  if (declared?.connectivity === XksProxyConnectivityType.VPC_ENDPOINT_SERVICE) {
    differ('XksProxyVpcEndpointServiceName', xks.VpcEndpointServiceName, declared.vpcEndpointServiceName);
    if (xks.VpcEndpointServiceOwner !== undefined) {
      differ('XksProxyVpcEndpointServiceOwner', xks.VpcEndpointServiceOwner, declared.vpcEndpointServiceOwner ?? stackAccount);
    }
  }
  return out;
}

/** An external store whose credential is not sent must already hold the declared one: its access key id says. */
async function credentialDifference(s: StoreSteps, existing: StoreView, desired: DesiredStore): Promise<string[]> {
  const shown = existing.XksProxyConfiguration?.AccessKeyId;
  if (!desired.external || desired.adoptSendsSecrets || existing.CustomKeyStoreType !== desired.type || shown === undefined) {
    return [];
  }
  const declared = (await s.deps.secrets.proxyCredential(desired.external.credentialSecretArn)).accessKeyId;
  return shown === declared ? [] : [messages.adoptionCredentialNote(shown, declared)];
}

/**
 * Sends the password or credential once, from onEvent (no later read could tell whether it was
 * applied). KMS takes a password only while the store is DISCONNECTED, a credential while it is
 * CONNECTED or DISCONNECTED. A failure puts a store that was connected back in service first: an
 * onEvent that fails leaves no store id for a rollback to give back.
 */
async function sendSecrets(s: StoreSteps, id: string, desired: DesiredStore, state: string): Promise<void> {
  const wasConnected = state === CONNECTED || state === CONNECTING;
  const needsDisconnected = desired.cloudHsm !== undefined || (state !== CONNECTED && state !== DISCONNECTED);
  const field = desired.cloudHsm ? 'KeyStorePassword' : 'XksProxyAuthenticationCredential';
  const restore = async (): Promise<void> => {
    if (wasConnected) await s.connectIgnoringState(id);
  };
  if (needsDisconnected && state !== DISCONNECTED) {
    await s.disconnectIgnoringState(id);
    const timeoutMs = s.settle().longTimeoutMs;
    const { reached, seen } = await s.pollState(id, timeoutMs, (st) => st === DISCONNECTED);
    if (!reached) {
      await restore();
      throw new KeyStoreError(messages.disconnectTimedOutMessage(id, desired.name, field, Math.round(timeoutMs / 1000), messages.stateName(seen), wasConnected));
    }
  }
  const input: UpdateCustomKeyStoreCommandInput = desired.cloudHsm
    ? { CustomKeyStoreId: id, KeyStorePassword: await s.deps.secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn) }
    : await credentialInput(s, id, desired);
  try {
    s.log({ step: 'adoption-sends-secret', store: id, field });
    await s.stores.update(input);
  } catch (err) {
    await restore();
    throw explain(err, messages.stepFailedContext('update', id, desired.name, needsDisconnected ? DISCONNECTED : state, errorName(err)));
  }
}

async function credentialInput(s: StoreSteps, id: string, desired: DesiredStore): Promise<UpdateCustomKeyStoreCommandInput> {
  const credential = await s.deps.secrets.proxyCredential(desired.external?.credentialSecretArn ?? '');
  return { CustomKeyStoreId: id, XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey } };
}
