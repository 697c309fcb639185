/**
 * The error of a synchronous call into the real executor (RealExecutor.runSync) that met what
 * only an asynchronous one can wait for.
 */

/**
 * runSync met an effect it cannot answer synchronously (a wait queue or asynchronous I/O). The
 * fields say which operation and what it met, for callers that explain it in their own words.
 */
export class WouldBlockError<T = unknown> extends Error {
  override name = "WouldBlockError";
  constructor(
    /** The operation's name and CPU, as given to runSync. */
    readonly operation: string,
    readonly cpu: number,
    /** "io": asynchronous I/O; "block": a wait queue (a lock another operation holds). */
    readonly effect: "io" | "block",
    /** The effect's label, e.g. "mutex_lock ctx(pool1,cpu0)->mutex". */
    readonly label: string,
    /**
     * The operation is not abandoned (that would leave it on a wait queue, or holding locks):
     * it goes on asynchronously, and this promise settles with its result.
     */
    readonly pending: Promise<T>,
  ) {
    const what =
      effect === "io"
        ? `does asynchronous I/O (${label})`
        : `blocks (${label}, contended by another in-flight operation)`;
    super(
      `runSync: operation '${operation}' on CPU ${cpu} ${what}; use run() for operations that can block or await`,
    );
  }
}
