/**
 * Fault injection with probabilities (lib/fault-inject.c, Documentation/fault-injection/), as
 * real mode uses it: each knob has a probability, and every time code asks `shouldFail(k,
 * name)` a seeded random draw decides. Injections are counted by knob and by the task they
 * hit, so a caller can tell an injected failure from a real one.
 *
 * The simulator does not use this: there an allocation failure is an explored choice
 * (memory.ts, `faultable`). Real mode installs one FaultInject on the kernel; the knobs reach
 * the code through adapters (the executor answers kmalloc's "fault" choices, zsmalloc asks
 * through its pool's `shouldFail`, the compressor and swap storage adapters in src/real ask
 * before each call), never through special cases in zswap.
 *
 * Simplified: the kernel's knobs also have `interval`, `times`, `space` and a task filter;
 * here there is a probability only (and no `verbose` stack dump).
 */
import type { Kernel } from "./kernel.ts";

/** A draw in [0, 1): the kernel side takes randomness as a parameter (a seeded PRNG). */
export type RandomSource = () => number;

export class FaultInject {
  /** Injections per knob. */
  readonly injected = new Map<string, number>();
  /** Injections per task name and knob ("swapin\0decompress"), for attribution. */
  private readonly injectedByTask = new Map<string, number>();

  constructor(
    /** Probability per knob, 0..1; a knob not listed never fails. */
    readonly probability: ReadonlyMap<string, number>,
    private readonly random: RandomSource,
  ) {}

  /** Whether the knob is set at all (a probability above 0). */
  armed(name: string): boolean {
    return (this.probability.get(name) ?? 0) > 0;
  }

  /** should_fail(): draws for `name`; counts an injection against the current task. */
  shouldFail(k: Kernel, name: string): boolean {
    const p = this.probability.get(name) ?? 0;
    if (p <= 0 || this.random() >= p) return false;
    this.injected.set(name, (this.injected.get(name) ?? 0) + 1);
    const task = k.current?.name ?? "(no task)";
    const key = `${task}\0${name}`;
    this.injectedByTask.set(key, (this.injectedByTask.get(key) ?? 0) + 1);
    if (k.trace !== null) k.note(`FAULT_INJECTION: forcing a failure (${name})`);
    return true;
  }

  /** Injections of `name` that hit tasks called `task` (e.g. "swapin"). */
  injectedIn(task: string, name: string): number {
    return this.injectedByTask.get(`${task}\0${name}`) ?? 0;
  }
}

/** The kernel's fault injection, or null when none is installed (always, in simulation). */
export function faultInject(k: Kernel): FaultInject | null {
  return (k.subsystems.get("fault_inject") as FaultInject | undefined) ?? null;
}

export function setFaultInject(k: Kernel, fi: FaultInject): void {
  k.subsystems.set("fault_inject", fi);
}

/** A `shouldFail` hook for `name` for allocators without a kernel (zsmalloc), or undefined. */
export function faultHook(k: Kernel, name: string): (() => boolean) | undefined {
  const fi = faultInject(k);
  if (fi === null || !fi.armed(name)) return undefined;
  return () => fi.shouldFail(k, name);
}
