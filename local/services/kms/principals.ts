/**
 * The IAM principals KMS has to find when a key policy names them, and when each was made (on the
 * model's clock). IAM is eventually consistent, and a key policy's principals "must exist and be
 * visible to KMS. When you create a new Amazon Web Services principal, you might need to enforce a
 * delay before including the new principal in a key policy because the new principal might not be
 * immediately visible to KMS." (botocore kms model, CreateKeyRequest.Policy and
 * PutKeyPolicyRequest.Policy). KMS answers such a policy with MalformedPolicyDocumentException.
 *
 * Only principals made while the model runs are known here (the runner registers the stack's
 * AWS::IAM::Role resources as it creates them): any other ARN (another account's, a root ARN, a
 * service principal) is taken as visible, as before.
 */
import { ServiceError } from '../../endpoint/service-error';

export class Principals {
  /** ARN -> when it was made, in clock ms. */
  private readonly createdAt = new Map<string, number>();

  public register(arn: string, at: number): void {
    this.createdAt.set(arn, at);
  }

  /**
   * Throws MalformedPolicyDocumentException, as KMS does, when `policy` (valid JSON, checked
   * before) names a principal made less than `lagMs` before `now`.
   */
  public checkVisible(policy: string, now: number, lagMs: number): void {
    if (lagMs <= 0 || this.createdAt.size === 0) return;
    const recent = awsPrincipals(policy).find((arn) => {
      const at = this.createdAt.get(arn);
      return at !== undefined && now - at < lagMs;
    });
    if (recent !== undefined) {
      // KMS's own text for a principal it cannot find; it does not say which one.
      throw new ServiceError('MalformedPolicyDocumentException', 'Policy contains a statement with one or more invalid principals.');
    }
  }
}

/** The `Principal.AWS` values of every statement (a string or a list of strings). */
function awsPrincipals(policy: string): string[] {
  const doc = JSON.parse(policy) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : [doc.Statement];
  return statements.flatMap((statement) => {
    const principal = (statement as { Principal?: unknown } | null)?.Principal;
    const aws = typeof principal === 'object' && principal !== null ? (principal as { AWS?: unknown }).AWS : undefined;
    const values = Array.isArray(aws) ? (aws as unknown[]) : [aws];
    return values.filter((v): v is string => typeof v === 'string');
  });
}
