/**
 * A detector self-test row (selftest.ts runs them): a tiny program with one bug planted, and its
 * fixed twin; with the helpers the planted programs share.
 */
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type BugKind, KernelBug } from "../kernel/report.ts";
import type { Program } from "../sim/explore.ts";

export interface SelftestCase {
  readonly detector: string;
  readonly planted: string;
  readonly kind: BugKind;
  readonly title?: RegExp;
  readonly executionsMax: number;
  readonly strategy?: "random" | "pct";
  /** The program with the bug planted (true) or fixed (false). */
  make(buggy: boolean): Program;
}

/** A planted program: its name says whether the bug is in. */
export function program(
  name: string,
  buggy: boolean,
  nrCpus: number,
  setup: (k: Kernel) => void,
  onlineCpus?: readonly number[],
): Program {
  return {
    name: `${name} (${buggy ? "bug" : "fixed"})`,
    config: onlineCpus ? { nrCpus, onlineCpus } : { nrCpus },
    setup,
  };
}

/** `n` scheduling points. */
export function* yields(n: number, label: string): Op<void> {
  for (let i = 0; i < n; i++) yield* sched(`${label} ${i}`);
}

/** The report of a NULL pointer dereference by the current task. */
export function nullDeref(k: Kernel, what: string): KernelBug {
  return new KernelBug("null-deref", `BUG: kernel NULL pointer dereference: ${what}`, [
    `task ${k.task.name} on cpu ${k.cpu}`,
  ]);
}
