/**
 * cpu_up() and cpu_down() (kernel/cpu.c) on a control task: the PREPARE-section startups before
 * the CPU is online, the ONLINE-section ones after; on the way down the ONLINE teardowns, the
 * wait for tasks pinned to the CPU, the migration of every task off it, then the PREPARE-section
 * teardowns ("dead" callbacks) in reverse state order. The states and their callbacks are in
 * cpuhp.ts (see its header for what is modelled and what is simplified).
 */
import { idKey } from "./access.ts";
import {
  CPUHP_BRINGUP_CPU,
  CPUHP_OFFLINE,
  CPUHP_ONLINE,
  type Cpuhp,
  type CpuhpStep,
  cpuhp,
  invokeStep,
} from "./cpuhp.ts";
import { choose, type Op, sched } from "./effect.ts";
import { EBUSY, EINVAL } from "./errno.ts";
import type { Kernel } from "./kernel.ts";
import { mutexLock, mutexUnlockAndYield } from "./mutex.ts";
import { cpusWriteLock, cpusWriteUnlock } from "./percpu_rwsem.ts";
import { waitCpuUnpinned } from "./preempt.ts";
import { traced } from "./site.ts";

/**
 * cpu_up(): brings `cpu` online from the calling (control) task. PREPARE-section startups run
 * before the CPU is online; returns 0 or the failing callback's error (the CPU stays offline).
 */
export function* cpuUp(k: Kernel, cpu: number): Op<number> {
  return yield* traced(k, "_cpu_up", cpuUpLocked(k, cpu));
}

function* cpuUpLocked(k: Kernel, cpu: number): Op<number> {
  k.fp?.read("cpus");
  if (!k.cpus.present.has(cpu)) return -EINVAL;
  const hp = cpuhp(k);
  yield* mutexLock(k, hp.addRemoveLock);
  yield* cpusWriteLock(k);
  k.fp?.read("cpus");
  const ret = k.cpus.isOnline(cpu) ? 0 : yield* bringUp(k, hp, cpu);
  cpusWriteUnlock(k);
  yield* mutexUnlockAndYield(k, hp.addRemoveLock);
  return ret;
}

function* bringUp(k: Kernel, hp: Cpuhp, cpu: number): Op<number> {
  k.note(`cpu_up cpu${cpu}`);
  k.fp?.read("cpuhp"); // one read covers the step's three looks at the steps list
  const steps = hp.ordered();
  const prepare = steps.filter((s) => s.state < CPUHP_BRINGUP_CPU);
  const online = steps.filter((s) => s.state > CPUHP_BRINGUP_CPU);
  let ret = yield* runSteps(k, hp, cpu, prepare);
  if (ret !== 0) {
    k.fp?.write("cpuhp");
    hp.cpuState[cpu] = CPUHP_OFFLINE;
    return ret;
  }
  k.fp?.write("cpuhp");
  hp.cpuState[cpu] = CPUHP_BRINGUP_CPU;
  k.fp?.write("cpus");
  k.cpus.online.add(cpu);
  k.note(`cpu${cpu} online`);
  ret = yield* runSteps(k, hp, cpu, online);
  if (ret !== 0) {
    // The kernel rolls the AP back down to offline: the same path as cpu_down from here.
    yield* waitCpuUnpinned(k, cpu);
    yield* takeDown(k, hp, cpu);
    return ret;
  }
  k.fp?.write("cpuhp");
  hp.cpuState[cpu] = CPUHP_ONLINE;
  return 0;
}

/**
 * Runs the startups of `steps` in order; on a failure tears down the steps already done, in
 * reverse order (the failing step rolled back its own instances), and returns the error.
 */
function* runSteps(k: Kernel, hp: Cpuhp, cpu: number, steps: CpuhpStep[]): Op<number> {
  for (const [i, sp] of steps.entries()) {
    k.fp?.write("cpuhp");
    hp.cpuState[cpu] = sp.state;
    const ret = yield* invokeStep(k, sp, cpu, true);
    if (ret === 0) continue;
    k.note(`cpu_up cpu${cpu}: ${sp.name} failed (${ret}), rolling back`);
    for (const done of steps.slice(0, i).reverse()) {
      k.fp?.write("cpuhp");
      hp.cpuState[cpu] = done.state;
      yield* invokeStep(k, done, cpu, false);
    }
    return ret;
  }
  return 0;
}

/**
 * cpu_down(): takes `cpu` offline from the calling (control) task. Returns -EBUSY for the last
 * online CPU, 0 otherwise (also when the CPU already is offline).
 */
export function* cpuDown(k: Kernel, cpu: number): Op<number> {
  return yield* traced(k, "_cpu_down", cpuDownLocked(k, cpu));
}

function* cpuDownLocked(k: Kernel, cpu: number): Op<number> {
  k.fp?.read("cpus");
  if (!k.cpus.present.has(cpu)) return -EINVAL;
  const hp = cpuhp(k);
  yield* mutexLock(k, hp.addRemoveLock);
  let ret = 0;
  k.fp?.read("cpus");
  if (k.cpus.isOnline(cpu) && k.cpus.online.size === 1) ret = -EBUSY;
  else if (k.cpus.isOnline(cpu)) {
    yield* cpusWriteLock(k);
    k.note(`cpu_down cpu${cpu}`);
    k.fp?.read("cpuhp");
    const online = hp.ordered().filter((s) => s.state > CPUHP_BRINGUP_CPU);
    for (const sp of online.reverse()) {
      k.fp?.write("cpuhp");
      hp.cpuState[cpu] = sp.state;
      yield* invokeStep(k, sp, cpu, false);
    }
    // The AP keeps running tasks until stop_machine takes it down: a preemption point here.
    // None after the pinned-task wait, so no task can pin itself to the CPU before it dies.
    yield* sched(`takedown_cpu cpu${cpu}`);
    yield* waitCpuUnpinned(k, cpu);
    yield* takeDown(k, hp, cpu);
    cpusWriteUnlock(k);
  }
  yield* mutexUnlockAndYield(k, hp.addRemoveLock);
  return ret;
}

/** The CPU dies: out of the online mask, tasks migrated off, then the dead callbacks. */
function* takeDown(k: Kernel, hp: Cpuhp, cpu: number): Op<void> {
  k.fp?.write("cpus");
  k.cpus.online.delete(cpu);
  k.fp?.write("cpuhp");
  hp.cpuState[cpu] = CPUHP_BRINGUP_CPU;
  k.note(`cpu${cpu} dead`);
  yield* migrateTasksOff(k, cpu);
  k.fp?.read("cpuhp");
  const prepare = hp.ordered().filter((s) => s.state < CPUHP_BRINGUP_CPU);
  for (const sp of prepare.reverse()) {
    k.fp?.write("cpuhp");
    hp.cpuState[cpu] = sp.state;
    yield* invokeStep(k, sp, cpu, false);
  }
  k.fp?.write("cpuhp");
  hp.cpuState[cpu] = CPUHP_OFFLINE;
}

/** Every task on the dying CPU moves to an online CPU (a "migrate" choice; 0: the lowest). */
function* migrateTasksOff(k: Kernel, cpu: number): Op<void> {
  k.fp?.read("cpus");
  const targets = k.cpus.onlineList();
  k.fp?.read("tasks");
  for (const t of k.tasks) {
    k.fp?.read(idKey("task:", t.id));
    k.fp?.read(idKey("cpu:", t.id));
    if (t.state !== "done") t.cpuReads++;
    if (t.cpu !== cpu) continue;
    k.fp?.write(idKey("cpu:", t.id));
    if (t.state === "done") {
      t.cpu = targets[0] as number;
      continue;
    }
    const to = targets[
      yield* choose(targets.length, "migrate", `migrate ${t.name} off cpu${cpu}`)
    ] as number;
    // An event of the migrated task (in its column), not a note of the hotplug task.
    if (k.trace !== null) k.trace.add(t, "migrate", `cpu${cpu} -> cpu${to} (cpu${cpu} going down)`);
    t.cpu = to;
  }
}
