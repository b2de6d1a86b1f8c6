/**
 * The handler's side of deferred deletion (lib/private/contract/deferred-deletion.ts): whether a
 * janitor runs in the account (its heartbeat), and the registry entry that hands a store over.
 *
 * The SSM client is loaded on first use: only stores declared with deferDeletion ever ask.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { HEARTBEAT_PARAMETER, registryParameterName, RegistryEntry } from '../../../lib/private/contract/deferred-deletion';
import { errorName } from '../../shared/errors';
import { RetryOptions, withRetry } from '../../shared/retry';

export class JanitorRegistry {
  constructor(
    private readonly client: () => Promise<SSMClient>,
    private readonly retry: RetryOptions = {},
  ) {}

  /** When the janitor last ran, or undefined when no janitor ever has (or its heartbeat is unreadable). */
  public async lastHeartbeat(): Promise<Date | undefined> {
    const [{ GetParameterCommand }, ssm] = await Promise.all([import('@aws-sdk/client-ssm'), this.client()]);
    try {
      const out = await withRetry(async () => ssm.send(new GetParameterCommand({ Name: HEARTBEAT_PARAMETER })), this.retry);
      const at = Date.parse(out.Parameter?.Value ?? '');
      return Number.isNaN(at) ? undefined : new Date(at);
    } catch (err) {
      if (errorName(err) === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  /** Writes (or rewrites, on a retried delete) the store's entry. */
  public async register(entry: RegistryEntry): Promise<void> {
    const [{ PutParameterCommand }, ssm] = await Promise.all([import('@aws-sdk/client-ssm'), this.client()]);
    const input = { Name: registryParameterName(entry.storeId), Value: JSON.stringify(entry), Type: 'String' as const, Overwrite: true };
    await withRetry(async () => ssm.send(new PutParameterCommand(input)), this.retry);
  }
}
