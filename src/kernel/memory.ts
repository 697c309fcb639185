/**
 * Memory: kmalloc/kfree and per-CPU allocations with KASAN-style lifetime tracking, GFP flags,
 * fault injection and direct reclaim.
 *
 * Every allocation is a `KObj` that remembers its allocation and free sites. Kernel-side code
 * reaches the object's fields only through `use(k, obj, access)`, which reports a
 * use-after-free in the kernel's format if the object was freed. Objects are never reused, so a
 * stale pointer always stays detectable (KASAN's quarantine, made infinite).
 *
 * A sleeping allocation (GFP_KERNEL) is a decision point in simulation: it may fail (fault
 * injection) or enter direct reclaim, which holds the fs_reclaim pseudo-lock and runs the
 * registered reclaim hooks (zswap's shrinker and store path) on the same task. Which
 * allocations are eligible is set by the scenario (`faultable`, `reclaimable`), so the
 * explorer spends its decisions where the scenario says failures matter.
 */
import { idKey } from "./access.ts";
import { choose, NO_EFFECTS, type Op, pointLabel, returned, sched } from "./effect.ts";
import { type Kernel, sleepInAtomicBug } from "./kernel.ts";
import { kmsanReport, UninitValue } from "./kmsan.ts";
import { FS_RECLAIM, fsReclaimMightAcquire, lockAcquire, lockRelease } from "./lockdep.ts";
import { preemptPoint } from "./points.ts";
import { KernelBug } from "./report.ts";
import { type Site, siteLines, siteOf, whereOf } from "./site.ts";
import { traceObj } from "./trace_event.ts";

/** GFP flags (a subset of include/linux/gfp_types.h). */
export const __GFP_DIRECT_RECLAIM = 1 << 0;
export const __GFP_IO = 1 << 1;
export const __GFP_FS = 1 << 2;
export const __GFP_NORETRY = 1 << 3;
export const __GFP_ZERO = 1 << 4;
export const __GFP_NOWARN = 1 << 5;
export const GFP_NOWAIT = 0;
export const GFP_ATOMIC = 0;
export const GFP_KERNEL = __GFP_DIRECT_RECLAIM | __GFP_IO | __GFP_FS;

export type Gfp = number;

export function gfpMaySleep(gfp: Gfp): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

/** A tracked kernel object holding `data`. */
/**
 * What every object of one kind shares: its label, size and slab cache. Kept once per kind
 * rather than in every object: a million stored pages have a million zswap_entry objects.
 */
export interface SlabKind {
  /** What it is, e.g. "acomp_req" or "zswap_entry". */
  readonly label: string;
  /** The slab cache it comes from, e.g. "kmalloc-96". */
  readonly cache: string;
  readonly sizeBytes: number;
}

export class KObj<T = unknown> {
  freeSite: Site | null = null;
  constructor(
    readonly id: number,
    readonly kind: SlabKind,
    readonly allocSite: Site,
    readonly data: T,
  ) {}

  get label(): string {
    return this.kind.label;
  }

  get cache(): string {
    return this.kind.cache;
  }

  get sizeBytes(): number {
    return this.kind.sizeBytes;
  }

  get freed(): boolean {
    return this.freeSite !== null;
  }
}

/** A direct-reclaim hook: runs on the allocating task while fs_reclaim is held. */
export type ReclaimHook = (k: Kernel) => Op<void>;

export interface MemoryPolicy {
  /** Allocations with these labels may fail (a "fault" decision). */
  faultable: Set<string>;
  /** Allocations with these labels may enter direct reclaim (a "reclaim" decision). */
  reclaimable: Set<string>;
  /** Any sleeping allocation may reclaim (overrides `reclaimable`). */
  reclaimAll: boolean;
}

export class Memory {
  private nextId = 1;
  readonly live = new Set<KObj>();
  readonly reclaimHooks: Array<{ name: string; hook: ReclaimHook }> = [];
  readonly policy: MemoryPolicy = {
    faultable: new Set(),
    reclaimable: new Set(),
    reclaimAll: false,
  };
  totalramPages = 1 << 20;
  /** Depth of direct reclaim on each task (reclaim does not recurse into reclaim: PF_MEMALLOC). */
  readonly inReclaim = new Set<number>();

  /**
   * Whether `live` holds every allocated, unfreed object (kmemleak's view, for the leak checks).
   * The library turns it off when it is not instrumented: with a million stored pages the set
   * costs tens of bytes and two hash operations per page, and nothing checks leaks there. Frees
   * are still recorded on the object itself, so use-after-free and double free are still caught.
   */
  trackLive = true;

  newObj<T>(k: Kernel, label: string, sizeBytes: number, data: T): KObj<T> {
    const site = k.instrumented ? siteOf(k) : UNRECORDED_SITE;
    // Ids only name objects (reports, traces, footprint keys): allocations commute.
    k.fp?.add("kmalloc");
    const obj = new KObj(this.nextId++, slabKind(label, sizeBytes), site, data);
    if (this.trackLive) this.live.add(obj);
    return obj;
  }
}

/**
 * The site of every allocation and free without instrumentation (real mode): a free must still
 * leave a non-null freeSite, which is what makes a later use a reported use-after-free.
 */
export const UNRECORDED_SITE: Site = {
  task: "(site not recorded: kernel not instrumented)",
  taskId: -1,
  cpu: -1,
  step: 0,
  stack: [],
};

/** slabCache() of each size asked for: it runs for every allocation. */
const slabCaches = new Map<number, string>();
/** Kinds by label (labels are a fixed set of literals; bounded anyway). */
const slabKinds = new Map<string, SlabKind>();

export function slabKind(label: string, sizeBytes: number): SlabKind {
  const kind = slabKinds.get(label);
  if (kind !== undefined && kind.sizeBytes === sizeBytes) return kind;
  const made: SlabKind = { label, cache: slabCache(sizeBytes), sizeBytes };
  if (slabKinds.size < 1024) slabKinds.set(label, made);
  return made;
}

/** The last kernel asked about and its memory (looked up on every allocation and free). */
let lastKernel: Kernel | null = null;
let lastMemory: Memory | null = null;

export function memory(k: Kernel): Memory {
  if (k === lastKernel) return lastMemory as Memory;
  const m = k.subsystem("memory", () => new Memory());
  lastKernel = k;
  lastMemory = m;
  return m;
}

export function slabCache(sizeBytes: number): string {
  let name = slabCaches.get(sizeBytes);
  if (name === undefined) {
    name = slabCacheName(sizeBytes);
    if (slabCaches.size < 1024) slabCaches.set(sizeBytes, name);
  }
  return name;
}

function slabCacheName(sizeBytes: number): string {
  if (sizeBytes > 8192) return "kmalloc-large";
  let c = 8;
  while (c < sizeBytes)
    c = c === 64 ? 96 : c === 96 ? 128 : c === 128 ? 192 : c === 192 ? 256 : c * 2;
  return `kmalloc-${c}`;
}

/**
 * kmalloc(size, gfp): returns a new object holding `init()`, or null when the allocation fails.
 * A sleeping allocation is a preemption point and may fail or reclaim if the policy allows.
 *
 * Not a generator: in real mode, where the point is off, an allocation the policy offers no
 * choice about (no fault, no reclaim) is made at the call, where `yield*` would start it, and
 * handed back without a generator.
 */
export function kmalloc<T>(
  k: Kernel,
  label: string,
  sizeBytes: number,
  gfp: Gfp,
  init: () => T,
): Op<KObj<T> | null> {
  return kmallocWith(k, label, gfp, () => kmallocNew(k, label, sizeBytes, init), null, null);
}

/**
 * kmalloc()'s decisions (might_sleep, fault, reclaim, the preemption point) with the object
 * made by `make` once the allocation succeeds: for caches whose objects are not `KObj`s in
 * every mode (zswap's entry table, src/zswap/entry_table.ts).
 */
export function kmallocWith<R, A, B>(
  k: Kernel,
  label: string,
  gfp: Gfp,
  make: (k: Kernel, a: A, b: B) => R,
  a: A,
  b: B,
): Op<R | null> {
  // make's data comes as arguments, so that a caller on a hot path need not make a closure.
  if (k.mode === "sim" || kmallocHasChoice(k, label, gfp))
    return kmallocChoosing(k, label, gfp, make, a, b);
  if (gfpMaySleep(gfp)) kmallocMightSleep(k, memory(k), label);
  return returned(make(k, a, b));
}

/** Whether the policy may fail this allocation or send it into direct reclaim. */
function kmallocHasChoice(k: Kernel, label: string, gfp: Gfp): boolean {
  if (k.current === null) return false;
  const mem = memory(k);
  if (mem.policy.faultable.has(label)) return true;
  return gfpMaySleep(gfp) && kmallocMayReclaim(k, mem, label);
}

/** Whether a sleeping allocation by the current task may enter direct reclaim (a choice). */
function kmallocMayReclaim(k: Kernel, mem: Memory, label: string): boolean {
  const reclaimOk = mem.policy.reclaimAll || mem.policy.reclaimable.has(label);
  return reclaimOk && !mem.inReclaim.has(k.task.id) && mem.reclaimHooks.length > 0;
}

/** might_sleep() and lockdep's might_alloc annotation of a sleeping allocation. */
function kmallocMightSleep(k: Kernel, mem: Memory, label: string): void {
  mightSleep(k, "kmalloc()", label);
  // Inside reclaim (PF_MEMALLOC) an allocation never recurses into reclaim, so lockdep's
  // might_alloc annotation skips it (__need_reclaim() is false).
  if (k.current !== null && k.instrumented && !mem.inReclaim.has(k.task.id))
    fsReclaimMightAcquire(k);
}

function* kmallocChoosing<R, A, B>(
  k: Kernel,
  label: string,
  gfp: Gfp,
  make: (k: Kernel, a: A, b: B) => R,
  a: A,
  b: B,
): Op<R | null> {
  const mem = memory(k);
  if (gfpMaySleep(gfp)) {
    kmallocMightSleep(k, mem, label);
    if (k.current !== null) {
      // A preemption point matters only to the simulator; the real executor would continue.
      if (k.mode === "sim") yield* sched(pointLabel("kmalloc", label));
      if (kmallocMayReclaim(k, mem, label)) {
        if ((yield* choose(2, "reclaim", `reclaim in kmalloc(${label})`)) === 1)
          yield* directReclaim(k);
      }
      if (mem.policy.faultable.has(label)) {
        if ((yield* choose(2, "fault", `fail kmalloc(${label})`)) === 1) {
          k.note(`kmalloc(${label}) failed (injected)`);
          return null;
        }
      }
    }
  } else if (k.current !== null && mem.policy.faultable.has(label)) {
    if ((yield* choose(2, "fault", `fail kmalloc(${label})`)) === 1) return null;
  }
  return make(k, a, b);
}

/** The tracked object of a successful kmalloc (with its trace event). */
export function kmallocNew<T>(k: Kernel, label: string, sizeBytes: number, init: () => T): KObj<T> {
  const obj = memory(k).newObj(k, label, sizeBytes, init());
  if (k.trace !== null) traceObj(k, "alloc", `kmalloc ${label}#${obj.id}`, obj.id);
  return obj;
}

/** Direct reclaim on the current task: holds fs_reclaim and runs every reclaim hook. */
export function* directReclaim(k: Kernel): Op<void> {
  const mem = memory(k);
  const id = k.task.id;
  // The hooks share their callers' state (a scenario's page cursor, the LRU they scan).
  k.fp?.write("reclaim");
  mem.inReclaim.add(id);
  lockAcquire(k, FS_RECLAIM, FS_RECLAIM);
  k.note("enter direct reclaim");
  try {
    for (const { hook } of mem.reclaimHooks) yield* hook(k);
  } finally {
    lockRelease(k, FS_RECLAIM);
    mem.inReclaim.delete(id);
  }
}

/** Registers a function that direct reclaim calls (zswap's shrinker, the swap-out path). */
export function registerReclaimHook(k: Kernel, name: string, hook: ReclaimHook): void {
  memory(k).reclaimHooks.push({ name, hook });
}

/** kfree(obj): null is a no-op; a second free or a free of a non-kmalloc object is reported. */
export function kfree(k: Kernel, obj: KObj | null | undefined): void {
  if (obj === null || obj === undefined) return;
  if (obj instanceof UninitValue) throw kmsanReport(k, obj, "kfree() of an uninitialised pointer");
  const site = k.instrumented ? siteOf(k) : UNRECORDED_SITE;
  if (obj.freeSite !== null) {
    throw new KernelBug("double-free", `BUG: KASAN: double-free in ${whereOf(site)}`, [
      `Free of addr ${objAddr(obj)} by task ${site.task}`,
      "",
      ...objectHistory(obj),
      "",
      ...siteLines("Second free attempted", site),
    ]);
  }
  k.fp?.write(idKey("o", obj.id));
  obj.freeSite = site;
  const mem = memory(k);
  if (mem.trackLive) mem.live.delete(obj);
  if (k.trace !== null) traceObj(k, "free", `kfree ${obj.label}#${obj.id}`, obj.id);
}

/**
 * kfree() in generator code, with the "free" preemption point after it: the freeing task may be
 * preempted before it clears or stops publishing its pointer to the object.
 */
export function kfreeAndYield(k: Kernel, obj: KObj | null | undefined): Op<void> {
  kfree(k, obj);
  if (obj === null || obj === undefined || k.pointMask === 0) return NO_EFFECTS;
  return preemptPoint(k, "free", pointLabel("kfree", obj.label));
}

/**
 * Accesses an object's data. `access` says what is read or written ("read req->dlen"), and
 * appears in the report. A freed object gives a KASAN slab-use-after-free report.
 */
export function use<T>(k: Kernel, obj: KObj<T>, access: string): T {
  // "read ..." accesses and the per-CPU lookups (whose slot perCpuPtr marks) read; others write.
  // Sticky: the caller keeps `data` and may use it in its later steps without calling use().
  if (k.fp !== null) {
    if (access.startsWith("read") || access.endsWith("cpu_ptr"))
      k.fp.stickyRead(idKey("o", obj.id));
    else k.fp.sticky(idKey("o", obj.id));
  }
  if (obj.freeSite !== null) {
    // A poisoned pointer has no freeSite field: it lands here too, and is reported as KMSAN does.
    if (obj instanceof UninitValue) throw kmsanReport(k, obj, `dereference (${access})`);
    throw uafReport(k, obj, access);
  }
  return obj.data;
}

function uafReport(k: Kernel, obj: KObj, access: string): KernelBug {
  const site = siteOf(k);
  const write = access.startsWith("write");
  return new KernelBug("use-after-free", `BUG: KASAN: slab-use-after-free in ${whereOf(site)}`, [
    `${write ? "Write" : "Read"} of ${obj.label} (${access}) at addr ${objAddr(obj)} by task ${site.task}/${site.taskId}`,
    "",
    ...siteLines("Accessed", site),
    "",
    ...objectHistory(obj),
    "",
    `The buggy address belongs to the object at ${objAddr(obj)}`,
    ` which belongs to the cache ${obj.cache} of size ${obj.sizeBytes}`,
  ]);
}

function objectHistory(obj: KObj): string[] {
  const lines = siteLines("Allocated", obj.allocSite);
  if (obj.freeSite) lines.push("", ...siteLines("Freed", obj.freeSite));
  return lines;
}

export function objAddr(obj: KObj): string {
  return `ffff8880${(0x1000 + obj.id * 0x60).toString(16).padStart(8, "0")} (${obj.label}#${obj.id})`;
}

/**
 * might_sleep(): sleeping with preemption disabled or inside an RCU reader is a bug. `what` is
 * the call that may sleep; with `arg`, "kmalloc()" and "x" read as "kmalloc(x)" (built only for
 * the report: this runs on every allocation and mutex_lock).
 */
export function mightSleep(k: Kernel, what: string, arg?: string): void {
  const t = k.current;
  if (t === null) return;
  if (t.preemptDisableDepth > 0 || t.rcuReadDepth > 0) {
    throw sleepInAtomicBug(k, arg === undefined ? what : `${what.slice(0, -1)}${arg})`);
  }
}

/** Live objects whose label matches, for leak checks at the end of a scenario. */
export function liveObjects(k: Kernel, filter: (o: KObj) => boolean = () => true): KObj[] {
  const mem = memory(k);
  if (!mem.trackLive) throw new Error("liveObjects: this kernel does not track live objects");
  return [...mem.live].filter(filter);
}

/** Reports every live object that `filter` selects as a leak (kmemleak style). */
export function checkLeaks(k: Kernel, what: string, filter: (o: KObj) => boolean): void {
  const leaked = liveObjects(k, filter);
  if (leaked.length === 0) return;
  const lines: string[] = [];
  for (const o of leaked)
    lines.push(
      `unreferenced object ${objAddr(o)} (size ${o.sizeBytes}):`,
      ...siteLines("  allocated", o.allocSite).map((l) => `  ${l}`),
    );
  throw new KernelBug(
    "leak",
    `kmemleak: ${leaked.length} new suspected memory leak(s) (${what})`,
    lines,
  );
}
