/** A statement parameter's placeholder, as SqlParams numbers it. */
export type Placeholder = `$${number}`;

/**
 * The parameters of one statement, numbered as its fragments add them: `add(value)` returns
 * the value's placeholder (`$1`, `$2`, ...), so a fragment never assumes a number another
 * fragment chose. A value used in several places is added once and its placeholder passed on.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): Placeholder {
    return `$${this.values.push(value)}`;
  }
}
