/**
 * The one text lambda/shared/ writes itself: an AWS error passed on with a line of context, its
 * exception name first, so that it starts with a stable code as every other failure does.
 */
export function explainedMessage(errorName: string, detail: string, context: string): string {
  return `${errorName}: ${detail} (${context})`;
}
