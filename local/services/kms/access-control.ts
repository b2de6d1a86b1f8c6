/**
 * KMS's authorization of a caller whose role's identity policies the emulator knows (identities.ts):
 * every authorization the operation needs (authorization.ts) must be allowed, by IAM, or, for a key
 * resource operation, by the key policy naming the role itself. Key policies that delegate to IAM
 * (the account's root principal, as every key the library makes has) leave the decision to IAM.
 */
import { ServiceError } from '../../endpoint/service-error';
import { Identities } from '../iam/identities';
import { AuthorizationRequest, Decision, evaluate, Statement } from '../iam/policy-evaluation';
import { AuthorizationScope, authorizationsFor } from './authorization';
import { Json, Key } from './records';

export class AccessControl {
  public readonly identities = new Identities();
  /** Requests evaluated against a role's policies, for tests to see that evaluation really ran. */
  public evaluated = 0;

  constructor(
    private readonly scope: AuthorizationScope,
    /** Whether callers with a registered role are evaluated (ModelOptions.evaluateIdentityPolicies). */
    public enabled: boolean,
  ) {}

  /** AccessDeniedException, in KMS's words, when the caller's role may not do `operation` with `input`. */
  public authorize(accessKeyId: string | undefined, operation: string, input: Json): void {
    const identity = this.identities.lookup(accessKeyId);
    if (!this.enabled || !identity) return;
    const statements = identity.statements();
    for (const request of authorizationsFor(this.scope, operation, input)) {
      this.evaluated++;
      const byIam = evaluate(statements, request);
      const byKeyPolicy = keyPolicyDecision(this.scope.keyOf(input), request, identity.roleArn);
      if (byIam === 'ExplicitDeny' || byKeyPolicy === 'ExplicitDeny') {
        throw denied(identity.roleArn, request, 'with an explicit deny in a policy');
      }
      if (byIam !== 'Allow' && byKeyPolicy !== 'Allow') {
        throw denied(identity.roleArn, request, `because no identity-based policy allows the ${request.action} action`);
      }
    }
  }
}

function denied(roleArn: string, request: AuthorizationRequest, why: string): ServiceError {
  return new ServiceError('AccessDeniedException', `User: ${assumedRole(roleArn)} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`);
}

/** What the key policy's statements that name the role itself decide, for a key resource operation. */
function keyPolicyDecision(key: Key | undefined, request: AuthorizationRequest, roleArn: string): Decision {
  if (!key || request.resource !== key.arn) return 'ImplicitDeny';
  // A key policy's Resource is "*", meaning the key itself.
  return evaluate(keyPolicyStatementsFor(key, roleArn), { ...request, resource: '*' });
}

/** The key policy's statements whose Principal names `roleArn` (or everyone). */
function keyPolicyStatementsFor(key: Key, roleArn: string): Statement[] {
  let statements: unknown[];
  try {
    const parsed = JSON.parse(key.policy) as { Statement?: unknown };
    statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  } catch {
    return [];
  }
  return statements.filter((s): s is Statement => {
    const principal = (s as { Principal?: unknown } | null)?.Principal;
    if (principal === '*') return true;
    const aws = typeof principal === 'object' && principal !== null ? (principal as { AWS?: unknown }).AWS : undefined;
    return (Array.isArray(aws) ? aws : [aws]).some((p) => p === roleArn || p === '*');
  });
}

/** The ARN KMS names in its denial: the role's session, as the function's temporary credentials are. */
function assumedRole(roleArn: string): string {
  const [, , , , account, resource] = roleArn.split(':');
  const name = resource.split('/').pop() ?? resource;
  return `arn:aws:sts::${account}:assumed-role/${name}/local-session`;
}

