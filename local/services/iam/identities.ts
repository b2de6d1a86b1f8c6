/**
 * The IAM roles whose identity-based policies the emulated services evaluate, by the access key id
 * of the credentials their functions run with. The local runner gives each function of a stack
 * credentials of its role and registers the role here with its policies, read from the template
 * when a request is evaluated (so a policy the stack changed, or a resource it created since, is
 * seen as IAM would see it after the update). Callers with other credentials (tests, the demo
 * acting as an administrator) are not evaluated.
 */
import { createHash } from 'crypto';
import { Statement } from './policy-evaluation';

export interface Identity {
  readonly roleArn: string;
  /** The statements of every identity-based policy attached to the role now. */
  readonly statements: () => readonly Statement[];
}

export class Identities {
  private readonly byAccessKey = new Map<string, Identity>();

  /** Registers `identity` and returns the access key id its functions are to sign with. */
  public register(identity: Identity): string {
    const accessKeyId = accessKeyIdFor(identity.roleArn);
    this.byAccessKey.set(accessKeyId, identity);
    return accessKeyId;
  }

  public lookup(accessKeyId: string | undefined): Identity | undefined {
    return accessKeyId === undefined ? undefined : this.byAccessKey.get(accessKeyId);
  }
}

/** A temporary credential's access key id (ASIA + 16 characters), the same for a role every time. */
function accessKeyIdFor(roleArn: string): string {
  return `ASIA${createHash('sha256').update(roleArn).digest('hex').slice(0, 16).toUpperCase()}`;
}

/** The access key id of a SigV4 Authorization header (`... Credential=<id>/<date>/...`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}
