/**
 * Remembers every secret value read, so that the handler and the sync can redact it from anything
 * they log or throw: no secret reaches CloudWatch Logs, the Step Functions history or a stack
 * event even if a downstream message were to echo it.
 */
export class SecretRedactor {
  private readonly values = new Set<string>();

  public remember(value: string): void {
    // Very short strings would redact ordinary words; KMS's own minimums are longer than this.
    if (value.length >= 4) {
      this.values.add(value);
    }
  }

  public redact(text: string): string {
    let out = text;
    for (const value of this.values) {
      out = out.split(value).join('*****');
    }
    return out;
  }
}
