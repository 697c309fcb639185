/**
 * Footprints: what one step (a task's code between two scheduling decisions) reads and writes of
 * state other tasks can see. The simulator's dynamic partial-order reduction (src/sim/dpor.ts)
 * treats two steps of different tasks as independent when their footprints do not conflict, and
 * skips executions that differ from explored ones only in the order of independent steps.
 *
 * Kernel-side code annotates its shared accesses as `k.fp?.read(key)`, `k.fp?.write(key)` or
 * `k.fp?.add(key)`. `fp` is null unless the simulator asked for footprints, and JavaScript does
 * not evaluate a call's arguments when `?.` finds null, so an annotation costs one null test in
 * real mode and in every search that does not reduce.
 *
 * Kinds: `read` and `write` as usual; `add` for counters that only ever change by a constant
 * the step does not look at (statistics, allocation ids used only as names): add commutes with
 * add, and conflicts with read and write.
 *
 * Keys are strings that name one piece of shared state the same way in every execution: a lock by
 * its name, a kmalloc'd object by its id (ids are allocated in execution order, so a prefix of
 * decisions gives the same ids), a tree slot by (tree, offset), a task by its id. Two different
 * things sharing a key is only conservative (a conflict too many); one thing under two keys, or an
 * access without a key, would make the reduction unsound: src/sim/commute.test.ts runs executions
 * with adjacent independent steps swapped and checks that nothing observable changes.
 */

/**
 * Keys made once and reused: a footprint is a Map, and a fresh concatenation would be hashed
 * again at every access (the simulator makes several per step).
 */
const idKeys = new Map<string, string[]>();
const nameKeys = new Map<string, Map<string, string>>();
const slotKeys: string[][] = [];

/** `prefix + id`, e.g. idKey("o", 3) = "o3", idKey("task:", 1) = "task:1". */
export function idKey(prefix: string, id: number): string {
  let keys = idKeys.get(prefix);
  if (keys === undefined) idKeys.set(prefix, (keys = []));
  return (keys[id] ??= `${prefix}${id}`);
}

/** `prefix + name`, e.g. nameKey("mutex:", "zswap_init_lock"). */
export function nameKey(prefix: string, name: string): string {
  let keys = nameKeys.get(prefix);
  if (keys === undefined) nameKeys.set(prefix, (keys = new Map()));
  let key = keys.get(name);
  if (key === undefined) keys.set(name, (key = `${prefix}${name}`));
  return key;
}

/** The key of per-CPU object `id`'s slot of `cpu`: "o<id>@<cpu>". */
export function slotKey(id: number, cpu: number): string {
  const keys = (slotKeys[id] ??= []);
  return (keys[cpu] ??= `o${id}@${cpu}`);
}

export const READ = 1;
export const WRITE = 2;
export const ADD = 4;

/** The accesses of one step: key -> the kinds seen (READ | WRITE | ADD bits). */
export type Footprint = ReadonlyMap<string, number>;

export class AccessSink {
  private cur = new Map<string, number>();
  /** Per task id: keys every later step of the task writes too (see `sticky`). */
  private readonly stickyKeys = new Map<number, Set<string>>();
  private readonly stickyReads = new Map<number, Set<string>>();
  /** The task running the current step (set by the simulator). */
  taskId = -1;

  /** `drop`: keys to ignore, for tests that show a missing annotation is caught. */
  constructor(private readonly drop: ((key: string) => boolean) | null = null) {}

  /**
   * A coarse key for state that code reaches through an accessor and then keeps in local
   * variables across preemption points (zswap's and the swap layer's global state): the access
   * counts as a write in this step and in every later step of the task, which may use the saved
   * reference without calling the accessor again.
   */
  sticky(key: string): void {
    this.write(key);
    let set = this.stickyKeys.get(this.taskId);
    if (set === undefined) this.stickyKeys.set(this.taskId, (set = new Set()));
    set.add(key);
  }

  /** `sticky` for a read: every later step of the task reads `key` too. */
  stickyRead(key: string): void {
    this.read(key);
    let map = this.stickyReads.get(this.taskId);
    if (map === undefined) this.stickyReads.set(this.taskId, (map = new Set()));
    map.add(key);
  }

  /** Starts the step of task `id`: its sticky keys are accessed again. */
  startStep(id: number): void {
    this.taskId = id;
    const reads = this.stickyReads.get(id);
    if (reads !== undefined) for (const key of reads) this.read(key);
    const set = this.stickyKeys.get(id);
    if (set !== undefined) for (const key of set) this.write(key);
  }

  read(key: string): void {
    if (this.drop?.(key)) return;
    this.cur.set(key, (this.cur.get(key) ?? 0) | READ);
  }

  write(key: string): void {
    if (this.drop?.(key)) return;
    this.cur.set(key, (this.cur.get(key) ?? 0) | WRITE);
  }

  add(key: string): void {
    if (this.drop?.(key)) return;
    this.cur.set(key, (this.cur.get(key) ?? 0) | ADD);
  }

  /** The current step's footprint; starts an empty one. */
  take(): Footprint {
    const fp = this.cur;
    this.cur = new Map();
    return fp;
  }
}

/** Whether two accesses of one key conflict: anything with a write, or a read with an add. */
function modesConflict(a: number, b: number): boolean {
  if (((a | b) & WRITE) !== 0) return true;
  return ((a & READ) !== 0 && (b & ADD) !== 0) || ((a & ADD) !== 0 && (b & READ) !== 0);
}

/** Whether two steps' footprints conflict (dependent steps); steps of one task always are. */
export function conflicts(a: Footprint, b: Footprint): boolean {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const [key, m] of small) {
    const n = big.get(key);
    if (n !== undefined && modesConflict(m, n)) return true;
  }
  return false;
}

/** The union of two footprints (a step whose variants differ: the union of what they touch). */
export function unionFootprint(a: Footprint, b: Footprint): Footprint {
  const out = new Map(a);
  for (const [key, m] of b) out.set(key, (out.get(key) ?? 0) | m);
  return out;
}

/** The first key on which two footprints conflict, for reports and tests. */
export function conflictKey(a: Footprint, b: Footprint): string | null {
  for (const [key, m] of a) {
    const n = b.get(key);
    if (n !== undefined && modesConflict(m, n)) return key;
  }
  return null;
}
