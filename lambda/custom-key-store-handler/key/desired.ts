/**
 * The key a `Custom::KmsCustomKeyStoreKey` resource asks for, read from ResourceProperties and
 * checked against the same rules as the construct (the construct lets tokens through).
 */
import { XKS_KEY_ID, KEY_DESCRIPTION, describeViolation } from '../../../lib/private/contract/field-rules';
import { KeyTag, MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS } from '../../../lib/private/contract/key-properties';
import { CLOUD_HSM, EXTERNAL_KEY_STORE, STORE_ID_PATTERN } from '../../../lib/private/contract/store-properties';
import { KeyStoreError } from '../../shared/errors';
import { invalidKeyPropertiesMessage, keyPropertiesMissingMessage } from './messages';

export interface DesiredKey {
  readonly storeId: string;
  readonly origin: string;
  readonly xksKeyId?: string;
  readonly description: string;
  /** The key policy as the JSON text KMS takes. */
  readonly policy: string;
  readonly enabled: boolean;
  readonly pendingWindowInDays: number;
  readonly tags: KeyTag[];
}

export function parseDesiredKey(input: unknown, where: string): DesiredKey {
  const bad = (what: string): KeyStoreError => new KeyStoreError(invalidKeyPropertiesMessage(where, what));
  if (typeof input !== 'object' || input === null) {
    throw new KeyStoreError(keyPropertiesMissingMessage(where));
  }
  const p = input as Record<string, unknown>;
  const storeId = p.CustomKeyStoreId;
  if (typeof storeId !== 'string' || !STORE_ID_PATTERN.test(storeId)) {
    throw bad("CustomKeyStoreId must be a custom key store id ('cks-' followed by letters and digits)");
  }
  const origin = p.Origin;
  if (origin !== CLOUD_HSM && origin !== EXTERNAL_KEY_STORE) {
    throw bad(`Origin must be ${CLOUD_HSM} or ${EXTERNAL_KEY_STORE}`);
  }
  const xksKeyId = p.XksKeyId;
  if (origin === EXTERNAL_KEY_STORE) {
    const problem = typeof xksKeyId === 'string' ? describeViolation(xksKeyId, XKS_KEY_ID) : 'is missing';
    if (problem) throw bad(`XksKeyId: ${problem}; expected ${XKS_KEY_ID.rule}`);
  } else if (xksKeyId !== undefined) {
    throw bad('XksKeyId is only for keys in external key stores');
  }
  const description = p.Description ?? '';
  if (typeof description !== 'string' || describeViolation(description, KEY_DESCRIPTION)) {
    throw bad(`Description must be a string of ${KEY_DESCRIPTION.rule}`);
  }
  if (p.Policy === undefined || p.Policy === null || p.Policy === '') {
    throw bad('Policy is missing');
  }
  const policy = typeof p.Policy === 'string' ? p.Policy : JSON.stringify(p.Policy);
  if (p.Enabled !== 'true' && p.Enabled !== 'false') {
    throw bad(`Enabled must be "true" or "false"`);
  }
  const days = Number(p.PendingWindowInDays);
  if (!Number.isInteger(days) || days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
    throw bad(`PendingWindowInDays must be a whole number from ${MIN_PENDING_WINDOW_DAYS} to ${MAX_PENDING_WINDOW_DAYS}`);
  }
  const tags = p.Tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof (t as KeyTag | null)?.TagKey === 'string' && typeof (t as KeyTag).TagValue === 'string')) {
    throw bad('Tags must be a list of { TagKey, TagValue } strings');
  }
  return {
    storeId,
    origin,
    ...(typeof xksKeyId === 'string' ? { xksKeyId } : {}),
    description,
    policy,
    enabled: p.Enabled === 'true',
    pendingWindowInDays: days,
    tags: tags as KeyTag[],
  };
}

/** A different store, origin or external key is a different KMS key: KMS cannot move a key. */
export function needsNewKey(old: DesiredKey, desired: DesiredKey): boolean {
  return old.storeId !== desired.storeId || old.origin !== desired.origin || old.xksKeyId !== desired.xksKeyId;
}

/** The tag changes from `old` to `desired`: what to set and which keys to remove. */
export function tagChanges(old: readonly KeyTag[], desired: readonly KeyTag[]): { set: KeyTag[]; remove: string[] } {
  const before = new Map(old.map((t) => [t.TagKey, t.TagValue]));
  const after = new Set(desired.map((t) => t.TagKey));
  return {
    set: desired.filter((t) => before.get(t.TagKey) !== t.TagValue),
    remove: [...before.keys()].filter((k) => !after.has(k)),
  };
}

/** Two policies that differ only in formatting are the same policy. */
export function samePolicy(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}
