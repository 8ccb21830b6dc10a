/** An error the person running the stack can act on: what went wrong and the fix. */
export class StackError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StackError';
  }

  override toString(): string {
    return `${this.message}\n  fix: ${this.fix}`;
  }
}
