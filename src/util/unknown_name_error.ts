/**
 * UnknownNameError: a design or scenario asked for by a name none has (check --design,
 * --scenario, replay tokens, shard files). A RangeError, as before, with the kind and the name
 * as fields, so a caller that adds advice (merge: "needs --design-file") need not match the
 * message. In src/util: the designs (src/zswap) and the scenarios (src/check) both throw it.
 */
export class UnknownNameError extends RangeError {
  constructor(
    /** What was looked up. */
    readonly kind: "design" | "scenario",
    /** The name given, as given. */
    readonly given: string,
    message: string,
  ) {
    super(message);
  }
}
