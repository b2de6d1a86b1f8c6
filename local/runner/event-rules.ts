/**
 * Plays EventBridge for a stack's rules: which rules an event matches (the pattern syntax the
 * library's rules use: lists of literal values, `prefix` matches, nested `detail` fields), and
 * which Lambda functions the rules target.
 */
import { TemplateResource } from './cloud-assembly';

export type EventPattern = Record<string, unknown>;

/** True when every field of `pattern` matches `event` (an EventBridge pattern is an AND of its fields, an OR within each list). */
export function matchesPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((value) => expected.some((rule) => matchesValue(rule, value)));
    }
    if (typeof expected === 'object' && expected !== null) {
      return typeof actual === 'object' && actual !== null && matchesPattern(expected as EventPattern, actual as Record<string, unknown>);
    }
    return false;
  });
}

function matchesValue(rule: unknown, value: unknown): boolean {
  if (typeof rule === 'object' && rule !== null && 'prefix' in rule) {
    return typeof value === 'string' && value.startsWith(String(rule.prefix));
  }
  return rule === value;
}

/** The logical ids of the Lambda functions a rule targets (Arn: Fn::GetAtt [function, Arn]). */
export function ruleTargets(rule: TemplateResource): string[] {
  const targets = (rule.Properties?.Targets ?? []) as Array<{ Arn?: { 'Fn::GetAtt'?: [string, string] } }>;
  return targets.map((t) => t.Arn?.['Fn::GetAtt']?.[0]).filter((id): id is string => typeof id === 'string');
}
