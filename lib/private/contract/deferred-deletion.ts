/**
 * Deferred deletion: the contract between the store handler, which hands a store over when its
 * stack deletes it while keys still wait for their deletion date, and the janitor, which deletes
 * it once they are gone. Both live in the account, never in the stack that deleted the store, so
 * the registry is a set of SSM parameters under one path the janitor owns.
 */

/** The path under which every registry entry and the heartbeat live. */
export const DEFERRED_DELETION_PATH = '/cdk-kms-custom-key-store/deferred-deletion';

/** One String parameter per store handed over: `<path>/stores/<store id>`, its value a RegistryEntry as JSON. */
export const REGISTRY_PATH = `${DEFERRED_DELETION_PATH}/stores`;

/** The janitor writes the time of its last run here (ISO 8601), so a handler can tell it is alive. */
export const HEARTBEAT_PARAMETER = `${DEFERRED_DELETION_PATH}/heartbeat`;

/** How often the janitor runs, in minutes. */
export const JANITOR_SCHEDULE_MINUTES = 60;

/** A heartbeat older than this means no janitor runs: a store is not handed over to nobody. */
export const HEARTBEAT_MAX_AGE_MINUTES = 3 * JANITOR_SCHEDULE_MINUTES;

export function registryParameterName(storeId: string): string {
  return `${REGISTRY_PATH}/${storeId}`;
}

/** What the handler records when it hands a store over. */
export interface RegistryEntry {
  readonly storeId: string;
  /** The store's name after the hand-over (`released/<stack>/<logical id>/<store id>`), for people reading the registry. */
  readonly storeName: string;
  readonly storeType: string;
  /** The stack and logical id that deleted it. */
  readonly stackId: string;
  readonly logicalId: string;
  /** When it was handed over (ISO 8601). */
  readonly registeredAt: string;
  /** The latest deletion date of the keys left in it when handed over (ISO 8601). */
  readonly lastDeletionDate: string;
  /** The store's ConnectionState when handed over: the janitor keeps a CloudHSM store CONNECTED while keys wait. */
  readonly connectionState: string;
}

/** The janitor's metrics, in the library's operations namespace, one value per run. */
export const STORES_WAITING_METRIC = 'DeferredDeletionStoresWaiting';
/** Stores whose last key deletion date passed more than one day ago and that still exist. */
export const STORES_OVERDUE_METRIC = 'DeferredDeletionStoresOverdue';
/** Stores the janitor will not delete: a key in them is not pending deletion (made anew, or its deletion cancelled). */
export const STORES_STUCK_METRIC = 'DeferredDeletionStoresStuck';
