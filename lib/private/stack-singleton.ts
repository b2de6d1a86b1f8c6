import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The stack's one construct of a kind, made on first use: the provider, the connection watcher and
 * the credential sync serve every store of a stack. Another construct with the same id is not
 * taken for it: making ours then fails, as constructs with one name in one scope do.
 */
export function stackSingleton<T extends IConstruct>(scope: IConstruct, id: string, isKind: (c: IConstruct) => c is T, make: (stack: Stack, id: string) => T): T {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  return existing !== undefined && isKind(existing) ? existing : make(stack, id);
}
