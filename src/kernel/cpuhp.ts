/**
 * CPU hotplug (kernel/cpu.c): per-CPU hotplug states, multi-instance states with their
 * add/remove rules. CPU online/offline on a control task is in cpu_updown.ts.
 *
 * Faithful to kernel/cpu.c where the zswap lifecycle depends on it:
 * - cpuhp_state_add_instance() takes cpus_read_lock, then cpuhp_state_mutex, and calls the
 *   startup callback on the calling task for each present CPU whose hotplug state is at or above
 *   the state, in CPU-id order. On a failure at CPU n it rolls back, *only if the state has a
 *   teardown*, the CPUs below n that had reached the state (cpuhp_rollback_install()), and
 *   returns the error without adding the node.
 * - cpuhp_state_remove_instance() calls teardown (if any) on the CPUs at or above the state,
 *   then unlinks the node. Removing a node that was never added is reported (the kernel's
 *   hlist_del() would dereference the unhashed node's NULL pprev).
 * - cpu_up() (under cpu_add_remove_lock and cpus_write_lock) runs the PREPARE-section startups
 *   on the control task before the CPU is online, so no task runs on the new CPU before them;
 *   a failure rolls back the states already brought up (teardowns, reverse order) and leaves
 *   the CPU offline. A built-in CPUHP_WORKQUEUE_PREP step allocates a worker pool with
 *   GFP_KERNEL the first time a CPU comes up, as workqueue_prepare_cpu() does, so lockdep
 *   learns cpu_hotplug_lock --> fs_reclaim.
 * - cpu_down() refuses the last online CPU (-EBUSY), runs the ONLINE-section teardowns, waits
 *   for tasks that disabled migration on the dying CPU, takes the CPU out of the online mask
 *   and migrates every task off it (a "migrate" choice per task), then runs the PREPARE-section
 *   teardowns ("dead" callbacks) on the control task, in reverse state order.
 *
 * Simplified: the AP-side machinery (the per-CPU hotplug thread, STARTING/DYING states,
 * stop_machine, cpu_active_mask) is not modelled. ONLINE-section callbacks run on the control
 * task right after the CPU is online (startup) or while it still is (teardown), so tasks may
 * already run on the CPU while they do; in the kernel only per-CPU kthreads could, until
 * CPUHP_AP_ACTIVE. zswap uses only PREPARE-section states.
 */
import type { Op } from "./effect.ts";
import { EINVAL, ENOMEM } from "./errno.ts";
import type { Kernel } from "./kernel.ts";
import { heldLocksLines } from "./lockdep.ts";
import { GFP_KERNEL, kmalloc } from "./memory.ts";
import { Mutex, mutexLock, mutexUnlockAndYield } from "./mutex.ts";
import { cpusReadLock, cpusReadUnlock } from "./percpu_rwsem.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf, traced } from "./site.ts";

// ---------------------------------------------------------------------------------------------
// States (enum cpuhp_state; values from a 6.x enum with every option, kept for their order)
// ---------------------------------------------------------------------------------------------

export const CPUHP_OFFLINE = 0;
/** workqueue_prepare_cpu(): creates the CPU's worker pools (allocates). */
export const CPUHP_WORKQUEUE_PREP = 39;
/** zswap_cpu_comp_prepare() / zswap_cpu_comp_dead(): per-pool, per-CPU acomp contexts. */
export const CPUHP_MM_ZSWP_POOL_PREPARE = 59;
export const CPUHP_BP_PREPARE_DYN = 65;
/** The boundary: states below run on the control CPU while the target CPU is down. */
export const CPUHP_BRINGUP_CPU = 87;
export const CPUHP_AP_ONLINE_DYN = 193;
export const CPUHP_ONLINE = 227;

/** A hotplug callback: 0 or a negative errno. `node` is the instance (null for single states). */
export type CpuhpCallback = (k: Kernel, cpu: number, node: unknown) => Op<number>;

export interface CpuhpStep {
  readonly state: number;
  readonly name: string;
  readonly startup: CpuhpCallback | null;
  readonly teardown: CpuhpCallback | null;
  readonly multi: boolean;
  /** Registered instances, newest first (hlist_add_head). */
  readonly instances: unknown[];
}

export class Cpuhp {
  readonly steps = new Map<number, CpuhpStep>();
  /** Per possible CPU: the hotplug state it has reached (st->state). */
  readonly cpuState: number[];
  readonly stateMutex = new Mutex("cpuhp_state_mutex");
  readonly addRemoveLock = new Mutex("cpu_add_remove_lock");
  /** CPUs whose worker pools exist (created at boot for boot-online CPUs). */
  readonly workerPools: boolean[];

  constructor(k: Kernel) {
    this.cpuState = k.cpus.possible.map((c) => (k.cpus.isOnline(c) ? CPUHP_ONLINE : CPUHP_OFFLINE));
    this.workerPools = k.cpus.possible.map((c) => k.cpus.isOnline(c));
    this.steps.set(CPUHP_WORKQUEUE_PREP, {
      state: CPUHP_WORKQUEUE_PREP,
      name: "workqueue:prepare",
      startup: (k2, cpu) => workqueuePrepareCpu(k2, this, cpu),
      teardown: null,
      multi: false,
      instances: [],
    });
  }

  /** Steps in ascending state order. */
  ordered(): CpuhpStep[] {
    return [...this.steps.values()].sort((a, b) => a.state - b.state);
  }
}

/** The hotplug machinery's state (kernel/cpu.c's cpuhp_hp_states and per-CPU st->state). */
export function cpuhp(k: Kernel): Cpuhp {
  return k.subsystem("cpuhp", () => new Cpuhp(k));
}

/**
 * workqueue_prepare_cpu(): the first bring-up of a CPU creates its worker pool. The pool lives
 * forever (label "worker_pool": leave it out of leak checks).
 */
function* workqueuePrepareCpu(k: Kernel, hp: Cpuhp, cpu: number): Op<number> {
  k.fp?.write("cpuhp");
  if (hp.workerPools[cpu]) return 0;
  const pool = yield* kmalloc(k, "worker_pool", 512, GFP_KERNEL, () => ({ cpu }));
  if (pool === null) return -ENOMEM;
  k.fp?.write("cpuhp");
  hp.workerPools[cpu] = true;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Queries and setup
// ---------------------------------------------------------------------------------------------

/** Where a CPU is in its hotplug life: "prepared" means PREPARE states done, not yet online. */
export function cpuhpState(k: Kernel, cpu: number): "offline" | "prepared" | "online" {
  k.fp?.read("cpus");
  k.fp?.read("cpuhp");
  if (k.cpus.isOnline(cpu)) return "online";
  return (cpuhp(k).cpuState[cpu] ?? CPUHP_OFFLINE) > CPUHP_OFFLINE ? "prepared" : "offline";
}

/** The instances registered on a multi state, newest first (for tests and invariants). */
export function cpuhpInstances(k: Kernel, state: number): readonly unknown[] {
  return cpuhp(k).steps.get(state)?.instances ?? [];
}

/**
 * cpuhp_setup_state_multi(): declares a multi-instance state; no callback runs. Setup time.
 * A state can be set up once (the kernel answers -EBUSY); the model throws.
 */
export function cpuhpSetupStateMulti(
  k: Kernel,
  state: number,
  name: string,
  startup: CpuhpCallback | null,
  teardown: CpuhpCallback | null,
): void {
  if (
    !Number.isInteger(state) ||
    state <= CPUHP_OFFLINE ||
    state >= CPUHP_ONLINE ||
    state === CPUHP_BRINGUP_CPU
  ) {
    throw new RangeError(
      `Cannot set up cpuhp state '${name}': expected a state in 1..${CPUHP_ONLINE - 1} other than CPUHP_BRINGUP_CPU, got ${state}`,
    );
  }
  const hp = cpuhp(k);
  const existing = hp.steps.get(state);
  if (existing !== undefined) {
    throw new Error(
      `Cannot set up cpuhp state ${state} as '${name}': already used by '${existing.name}'`,
    );
  }
  hp.steps.set(state, { state, name, startup, teardown, multi: true, instances: [] });
}

// ---------------------------------------------------------------------------------------------
// Callback invocation
// ---------------------------------------------------------------------------------------------

function* invokeCallback(
  k: Kernel,
  sp: CpuhpStep,
  cpu: number,
  bringup: boolean,
  node: unknown,
): Op<number> {
  const cb = bringup ? sp.startup : sp.teardown;
  if (cb === null) return 0;
  k.note(`cpuhp ${sp.name} ${bringup ? "startup" : "teardown"} cpu${cpu}`);
  const ret = yield* traced(
    k,
    bringup ? `${sp.name}:startup` : `${sp.name}:teardown`,
    cb(k, cpu, node),
  );
  if (!Number.isInteger(ret) || ret > 0) {
    throw new Error(`cpuhp ${sp.name}: callback returned ${ret}; expected 0 or a negative errno`);
  }
  if (ret !== 0 && !bringup) {
    throw new KernelBug("assertion", `kernel BUG at kernel/cpu.c: teardown of ${sp.name} failed`, [
      `teardown callbacks are not allowed to fail (BUG_ON(ret && !bringup)); cpu${cpu} returned ${ret}`,
      ...siteLines("cpuhp_issue_call", siteOf(k)),
    ]);
  }
  return ret;
}

/**
 * cpuhp_invoke_callback() for a whole step on one CPU: every instance of a multi state (newest
 * first); a failing startup rolls back the instances before it.
 */
export function* invokeStep(k: Kernel, sp: CpuhpStep, cpu: number, bringup: boolean): Op<number> {
  if (!sp.multi) return yield* invokeCallback(k, sp, cpu, bringup, null);
  k.fp?.read("cpuhp");
  const nodes = [...sp.instances];
  for (const [i, node] of nodes.entries()) {
    const ret = yield* invokeCallback(k, sp, cpu, bringup, node);
    if (ret === 0) continue;
    for (const done of nodes.slice(0, i)) yield* invokeCallback(k, sp, cpu, false, done);
    return ret;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Multi-instance add / remove
// ---------------------------------------------------------------------------------------------

/**
 * cpuhp_state_add_instance(): startup on every present CPU at or above the state, in id
 * order; 0 or the first error. On error the node is not added, and only a state with a
 * teardown rolls back the CPUs below the failing one.
 */
export function* cpuhpStateAddInstance(k: Kernel, state: number, node: unknown): Op<number> {
  return yield* traced(k, "cpuhp_state_add_instance", addInstance(k, state, node));
}

function* addInstance(k: Kernel, state: number, node: unknown): Op<number> {
  const hp = cpuhp(k);
  yield* cpusReadLock(k);
  const sp = hp.steps.get(state);
  if (sp === undefined || !sp.multi) {
    cpusReadUnlock(k);
    return -EINVAL;
  }
  yield* mutexLock(k, hp.stateMutex);
  let ret = 0;
  k.fp?.read("cpuhp");
  if (sp.startup !== null) {
    for (const cpu of presentCpus(k)) {
      if ((hp.cpuState[cpu] as number) < state) continue;
      ret = yield* invokeCallback(k, sp, cpu, true, node);
      if (ret === 0) continue;
      if (sp.teardown !== null) yield* rollbackInstall(k, hp, sp, cpu, node);
      break;
    }
  }
  k.fp?.write("cpuhp");
  if (ret === 0) sp.instances.unshift(node);
  else k.note(`cpuhp_state_add_instance ${sp.name} failed (${ret}): node not added`);
  yield* mutexUnlockAndYield(k, hp.stateMutex);
  cpusReadUnlock(k);
  return ret;
}

/** cpuhp_rollback_install(): teardown on present CPUs below `failedCpu` that reached the state. */
function* rollbackInstall(
  k: Kernel,
  hp: Cpuhp,
  sp: CpuhpStep,
  failedCpu: number,
  node: unknown,
): Op<void> {
  for (const cpu of presentCpus(k)) {
    if (cpu >= failedCpu) break;
    k.fp?.read("cpuhp");
    if ((hp.cpuState[cpu] as number) >= sp.state) yield* invokeCallback(k, sp, cpu, false, node);
  }
}

/** cpuhp_state_remove_instance(): teardown (if any) on CPUs at or above the state, then unlink. */
export function* cpuhpStateRemoveInstance(k: Kernel, state: number, node: unknown): Op<number> {
  return yield* traced(k, "cpuhp_state_remove_instance", removeInstance(k, state, node));
}

function* removeInstance(k: Kernel, state: number, node: unknown): Op<number> {
  const hp = cpuhp(k);
  const sp = hp.steps.get(state);
  if (sp === undefined || !sp.multi) return -EINVAL;
  yield* cpusReadLock(k);
  yield* mutexLock(k, hp.stateMutex);
  k.fp?.read("cpuhp");
  const index = sp.instances.indexOf(node);
  if (index < 0) throw unregisteredNodeBug(k, sp);
  if (sp.teardown !== null) {
    for (const cpu of presentCpus(k)) {
      if ((hp.cpuState[cpu] as number) >= state) yield* invokeCallback(k, sp, cpu, false, node);
    }
  }
  k.fp?.write("cpuhp");
  sp.instances.splice(sp.instances.indexOf(node), 1);
  yield* mutexUnlockAndYield(k, hp.stateMutex);
  cpusReadUnlock(k);
  return 0;
}

function unregisteredNodeBug(k: Kernel, sp: CpuhpStep): KernelBug {
  // The kernel runs the teardowns and then oopses in hlist_del() on the unhashed node (its pprev
  // is NULL in a kzalloc'ed pool); the model reports it on entry, before any teardown.
  return new KernelBug(
    "null-deref",
    `BUG: kernel NULL pointer dereference in cpuhp_state_remove_instance: remove_instance on an unregistered node`,
    [
      `__hlist_del() of a node that was never added to state ${sp.state} (${sp.name}), or was already removed:`,
      "cpuhp_state_add_instance() does not add the node when it fails, so its error path must not remove it;",
      "the node's pprev is NULL.",
      `${sp.instances.length} node(s) registered on ${sp.name}.`,
      ...heldLocksLines(k.task),
      "",
      ...siteLines("cpuhp_state_remove_instance called", siteOf(k)),
    ],
  );
}

function presentCpus(k: Kernel): number[] {
  return k.cpus.possible.filter((c) => k.cpus.present.has(c));
}
