/**
 * Synth-time warnings for a store whose teardown cannot finish with the stack: read at synth, after
 * every key's removal policy is final (applyRemovalPolicy may change it after construction).
 */
import { Annotations, CfnDeletionPolicy, CfnResource, CustomResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

function deletionPolicyOf(resource: IConstruct | undefined): CfnDeletionPolicy | undefined {
  const cfn = resource?.node.defaultChild;
  return cfn instanceof CfnResource ? cfn.cfnOptions.deletionPolicy : undefined;
}

/**
 * A store's custom resource `resource` (where the warnings go, so that acknowledging them on the
 * store or any scope above it works) and the constructs of the keys declared in it: a DESTROY
 * store holding a key that the stack keeps can never be deleted with the stack; a DESTROY store
 * with DESTROY keys and no deferred deletion fails `cdk destroy` until the keys' dates pass.
 */
export function warnOfUnfinishableTeardown(resource: CustomResource, keys: readonly IConstruct[], deferDeletion: boolean): void {
  if (deletionPolicyOf(resource) !== CfnDeletionPolicy.DELETE) {
    return;
  }
  const policies = keys.map((key) => [key, deletionPolicyOf(key.node.tryFindChild('Resource'))] as const);
  const kept = policies.filter(([, policy]) => policy === CfnDeletionPolicy.RETAIN || policy === CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE);
  const destroyed = policies.filter(([, policy]) => policy === CfnDeletionPolicy.DELETE);
  if (kept.length > 0) {
    Annotations.of(resource).addWarningV2(
      'cdk-kms-custom-key-store:retainKeyInDestroyStore',
      `The store is deleted with the stack (removalPolicy DESTROY), but the stack keeps ${kept.map(([k]) => k.node.path).join(', ')} (RETAIN or RETAIN_ON_UPDATE_OR_DELETE): KMS never deletes a store that holds a key, so \`cdk destroy\` will fail on this store, naming the key, for as long as the key exists. Give the key removalPolicy DESTROY (with deferDeletion the teardown then finishes by itself), or the store RETAIN.`,
    );
  }
  if (destroyed.length > 0 && !deferDeletion) {
    Annotations.of(resource).addWarningV2(
      'cdk-kms-custom-key-store:teardownWaitsForKeys',
      `\`cdk destroy\` schedules the deletion of ${destroyed.length === 1 ? 'its key' : `its ${destroyed.length} keys`} (removalPolicy DESTROY), and KMS refuses to delete the store until their waiting period (7-30 days) ends, so the stack delete fails until then. Set deferDeletion: true on the store and deploy a CustomKeyStoreJanitor in the account and Region to let the teardown finish by itself.`,
    );
  }
}
