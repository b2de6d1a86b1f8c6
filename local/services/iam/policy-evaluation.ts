/**
 * IAM's evaluation of identity-based policies, for the requests the emulated services authorize:
 * an explicit Deny wins, else an Allow whose Action, Resource and every Condition match, else the
 * implicit deny (IAM User Guide, "Policy evaluation logic").
 *
 * Conditions follow the User Guide's condition operators: every operator in a statement must match
 * (AND), every key under an operator must match (AND), and any one of a key's policy values may
 * match (OR). A key absent from the request context fails every operator but the `...IfExists`
 * forms and `Null`, which is how a policy that relies on a key the service does not put into the
 * context denies every request: the case the library's policies must survive.
 */

/** A policy statement as it is written in a template (after its intrinsics are resolved). */
export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** What one authorization asks: the action, the resource it acts on, and the request context. */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys present in the request, by their exact (case-sensitive) name. A multivalued key has an array. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export function evaluate(statements: readonly Statement[], request: AuthorizationRequest): Decision {
  let allowed = false;
  for (const statement of statements) {
    if (!applies(statement, request)) continue;
    if (statement.Effect === 'Deny') return 'ExplicitDeny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

function applies(statement: Statement, request: AuthorizationRequest): boolean {
  const actionMatches = statement.NotAction !== undefined ? !anyMatch(statement.NotAction, request.action, false) : anyMatch(statement.Action ?? [], request.action, false);
  const resourceMatches = statement.NotResource !== undefined ? !anyMatch(statement.NotResource, request.resource, true) : anyMatch(statement.Resource ?? [], request.resource, true);
  return actionMatches && resourceMatches && conditionsMatch(statement.Condition ?? {}, request.context);
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Actions match case-insensitively, resources (ARNs) case-sensitively; both take `*` and `?` wildcards. */
function anyMatch(patterns: string | readonly string[], value: string, caseSensitive: boolean): boolean {
  return list(patterns).some((p) => wildcard(p, caseSensitive).test(value));
}

function wildcard(pattern: string, caseSensitive: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseSensitive ? 's' : 'is');
}

type Comparison = (actual: string, expected: string) => boolean;

const COMPARISONS: Readonly<Record<string, Comparison | undefined>> = {
  StringEquals: (a, e) => a === e,
  StringNotEquals: (a, e) => a !== e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringNotEqualsIgnoreCase: (a, e) => a.toLowerCase() !== e.toLowerCase(),
  StringLike: (a, e) => wildcard(e, true).test(a),
  StringNotLike: (a, e) => !wildcard(e, true).test(a),
  ArnEquals: (a, e) => wildcard(e, true).test(a),
  ArnLike: (a, e) => wildcard(e, true).test(a),
  ArnNotEquals: (a, e) => !wildcard(e, true).test(a),
  ArnNotLike: (a, e) => !wildcard(e, true).test(a),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
  NumericEquals: (a, e) => Number(a) === Number(e),
  NumericLessThanEquals: (a, e) => Number(a) <= Number(e),
  NumericGreaterThanEquals: (a, e) => Number(a) >= Number(e),
};

/** The negated operators match when no policy value matches (NOR), not when any one differs. */
const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'ArnNotEquals', 'ArnNotLike']);

function conditionsMatch(conditions: Readonly<Record<string, Readonly<Record<string, unknown>>>>, context: AuthorizationRequest['context']): boolean {
  return Object.entries(conditions).every(([operator, keys]) => Object.entries(keys).every(([key, expected]) => conditionMatches(operator, lookup(context, key), list(expected))));
}

/** Condition key names are case-insensitive (IAM User Guide, "Condition element"). */
function lookup(context: AuthorizationRequest['context'], key: string): readonly string[] | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  if (found === undefined) return undefined;
  const value = context[found];
  return typeof value === 'string' ? [value] : value;
}

function conditionMatches(operator: string, actual: readonly string[] | undefined, expected: readonly string[]): boolean {
  if (operator === 'Null') {
    // "true": the key must be absent; "false": present.
    return expected.every((e) => (e.toLowerCase() === 'true') === (actual === undefined));
  }
  const setOperator = operator.startsWith('ForAllValues:') ? 'all' : operator.startsWith('ForAnyValue:') ? 'any' : undefined;
  let base = setOperator ? operator.slice(operator.indexOf(':') + 1) : operator;
  const ifExists = base.endsWith('IfExists');
  base = ifExists ? base.slice(0, -'IfExists'.length) : base;
  const compare = COMPARISONS[base];
  if (!compare) {
    // Loud, not permissive: a policy the emulator cannot read must not pass as allowed.
    throw new Error(`The local IAM evaluation does not know the condition operator ${operator}`);
  }
  if (actual === undefined) {
    // ForAllValues over an absent key is vacuously true (the User Guide warns of exactly this).
    return ifExists || setOperator === 'all';
  }
  const matchesOne = (value: string): boolean => (NEGATED.has(base) ? expected.every((e) => compare(value, e)) : expected.some((e) => compare(value, e)));
  if (setOperator === 'all') return actual.every(matchesOne);
  if (setOperator === 'any') return actual.some(matchesOne);
  return actual.some(matchesOne);
}
