/**
 * Bug reports: what a detector raises when the kernel model catches a bug.
 *
 * A `KernelBug` is thrown from inside the task that hit the bug (as the real kernel's KASAN or
 * lockdep would print from that context) and ends the execution. Its `text` is in the kernel's
 * own report format, so a reader who knows dmesg can read it.
 */
export type BugKind =
  | "use-after-free"
  | "double-free"
  | "invalid-free"
  | "null-deref"
  | "uninit-value"
  | "leak"
  | "circular-locking"
  | "recursive-locking"
  | "deadlock"
  | "hung-task"
  | "soft-lockup"
  | "livelock"
  | "sleep-in-atomic"
  | "data-loss"
  | "assertion"
  | "warning";

export class KernelBug extends Error {
  constructor(
    readonly kind: BugKind,
    /** First line, e.g. "BUG: KASAN: slab-use-after-free in zswapDecompress". */
    readonly title: string,
    /** The rest of the report, one string per line. */
    readonly details: readonly string[] = [],
  ) {
    super(title);
    this.name = "KernelBug";
  }

  get text(): string {
    return [this.title, ...this.details].join("\n");
  }
}

export function isKernelBug(e: unknown): e is KernelBug {
  // By shape, not instanceof: a design loaded from a file (check --design-file) may bring its
  // own copy of this module, and its reports must still be recognized as reports.
  return (
    e instanceof KernelBug ||
    (e instanceof Error && e.name === "KernelBug" && "kind" in e && "details" in e)
  );
}
