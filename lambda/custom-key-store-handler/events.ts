/**
 * The shapes the Provider framework passes to the handler and takes back, for a custom key store
 * and for a key in one (`Custom::KmsCustomKeyStoreKey`), as aws-cdk-lib declares
 * them (custom-resources/lib/provider-framework/types), narrowed to what this handler reads, plus
 * the fields onEvent hands on to isComplete.
 *
 * Every field is optional on the way in: the handler checks a malformed event itself and says so,
 * rather than trusting the framework's static types.
 */
import type { IsCompleteResponse, OnEventRequest } from 'aws-cdk-lib/custom-resources/lib/provider-framework/types';
import { KEY_RESOURCE_TYPE } from '../../lib/private/contract/key-properties';

type FrameworkFields = Pick<OnEventRequest, 'PhysicalResourceId' | 'StackId' | 'LogicalResourceId' | 'RequestId' | 'ResourceType'>;

/** What onEvent hands on to every isComplete call (the framework merges it into the event). */
interface OnEventExtras {
  /** The store's state when onEvent first saw it: a failed delete restores it. */
  readonly PriorConnectionState?: string;
  /** onEvent of a Delete released the store instead of deleting it (store/release.ts). */
  readonly Released?: string;
  /** When onEvent started, ISO 8601: isComplete gives up after WaitTimeoutSeconds. */
  readonly StartedAt?: string;
  /** onEvent already made the update that needed the store disconnected. */
  readonly UpdateApplied?: boolean;
  /** onEvent made a new store to replace the old one. */
  readonly Replacement?: boolean;
  /** The update is CloudFormation rolling a failed update back. */
  readonly Rollback?: boolean;
  /** A late duplicate of an update already answered: nothing is done. */
  readonly Duplicate?: boolean;
  /** The Create took over a store made outside the stack (adopt.ts). */
  readonly Adopted?: boolean;
  /** The Delete is the rollback of an adoption: the store is given back as it was (release.ts). */
  readonly Release?: boolean;
}

export interface KeyStoreEvent extends Partial<FrameworkFields>, OnEventExtras {
  /** Create, Update or Delete; anything else is refused as a malformed event. */
  readonly RequestType?: string;
  readonly ResourceProperties?: unknown;
  readonly OldResourceProperties?: unknown;
}

export interface OnEventResult extends OnEventExtras {
  readonly PhysicalResourceId: string;
  readonly StartedAt: string;
}

export interface IsCompleteResult extends IsCompleteResponse {
  readonly Data?: { readonly CustomKeyStoreId: string; readonly ConnectionState: string };
}

export type RequestType = OnEventRequest['RequestType'];

// ---- Keys ----------------------------------------------------------------------------------------

/** The event the Provider framework passes on for a key. */
export interface KeyEvent {
  readonly RequestType?: string;
  readonly ResourceType?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: unknown;
  readonly OldResourceProperties?: unknown;
  readonly StackId?: string;
  readonly LogicalResourceId?: string;
  readonly RequestId?: string;
}

export interface KeyOnEventResult {
  readonly PhysicalResourceId: string;
  readonly StartedAt: string;
  readonly Data?: { readonly Arn: string; readonly KeyId: string };
}

export interface KeyIsCompleteResult {
  readonly IsComplete: boolean;
}

/** Keys share the provider with their stores: the resource type tells their events apart. */
export function isKeyEvent(event: unknown): event is KeyEvent {
  return typeof event === 'object' && event !== null && (event as KeyEvent).ResourceType === KEY_RESOURCE_TYPE;
}
