/**
 * InstanceCore: what a ZswapInstance's parts share (the kernel, executor, zswap state, swap file
 * and device), with the CPU round-robin and the argument checks every operation starts with.
 * The instance (zswap_instance.ts) owns one; its swap path (instance_swap.ts), its parameter and
 * hotplug calls (instance_control.ts) and its statistics (instance_stats.ts) work on it.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { Memcg } from "../mm/memcg.ts";
import type { SwapDevice } from "../mm/swap.ts";
import type { ZswapState } from "../zswap/state.ts";
import { closedError, ZswapError } from "./errors.ts";
import type { RealExecutor } from "./executor.ts";
import type { ParallelSwap } from "./parallel_swap.ts";
import { Pending, runOp } from "./run_op.ts";
import type { SwapFile } from "./swap_file.ts";
import { describe } from "./types.ts";

/** @internal The state a ZswapInstance's parts share; not part of the library's API. */
export class InstanceCore {
  /** Online CPUs, in id order; operations take them round-robin. */
  online: number[];
  private nextCpuIndex = 0;
  closed = false;
  /** The memcg every page belongs to (any memcg option), or null: the root cgroup. */
  memcg: Memcg | null = null;

  constructor(
    readonly kernel: Kernel,
    readonly ex: RealExecutor,
    readonly z: ZswapState,
    readonly swap: SwapFile,
    readonly dev: SwapDevice,
    /** Multi-core mode's queue (parallel: true), or null. */
    readonly par: ParallelSwap | null,
  ) {
    this.online = kernel.cpus.onlineList();
  }

  /** Number of CPUs (possible CPUs: online or not). */
  get cpus(): number {
    return this.kernel.cpus.possible.length;
  }

  nextCpu(): number {
    if (this.closed) throw closedError();
    const online = this.online;
    if (this.nextCpuIndex >= online.length) this.nextCpuIndex = 0;
    return online[this.nextCpuIndex++] as number;
  }

  /** A CPU to run hotplug on: an online one other than `cpu` when there is one. */
  controlCpu(cpu: number): number {
    return this.online.find((c) => c !== cpu) ?? (this.online[0] as number);
  }

  /** Runs `op` without a promise when it can, else awaits it (errors: ZswapError). */
  async exec<T>(name: string, op: Op<T>, cpu = this.nextCpu()): Promise<T> {
    const r = runOp(this.ex, name, cpu, op, false, name);
    return r instanceof Pending ? await r.promise : r;
  }

  checkOpen(): void {
    if (this.closed) throw closedError();
  }

  checkCpu(cpu: number, what: string): void {
    this.checkOpen();
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} CPU ${describe(cpu)}: expected 0..${this.cpus - 1}`,
      );
    }
  }
}
