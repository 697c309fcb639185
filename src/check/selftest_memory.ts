/**
 * Self-test rows for the memory detectors: KASAN use-after-free and double-free, kmemleak.
 */
import { type Op, sched } from "../kernel/effect.ts";
import {
  checkLeaks,
  GFP_KERNEL,
  type KObj,
  kfree,
  kmalloc,
  memory,
  use,
} from "../kernel/memory.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { program, type SelftestCase } from "./selftest_case.ts";

export const MEMORY_CASES: readonly SelftestCase[] = [
  {
    detector: "KASAN use-after-free",
    planted: "reader uses an object a concurrent task frees (no lock)",
    kind: "use-after-free",
    executionsMax: 500,
    make: (buggy) =>
      program("uaf", buggy, 2, (k) => {
        const m = new Mutex("obj_lock");
        const shared: { obj: KObj<{ v: number }> | null } = { obj: null };
        k.spawn(
          "reader",
          0,
          (function* () {
            const o0 = yield* kmalloc(k, "obj", 32, GFP_KERNEL, () => ({ v: 1 }));
            shared.obj = o0;
            yield* sched("published");
            if (!buggy) yield* mutexLock(k, m);
            const o = shared.obj;
            yield* sched("after load");
            if (o !== null) use(k, o, "read obj->v");
            if (!buggy) mutexUnlock(k, m);
          })(),
        );
        k.spawn(
          "freer",
          1,
          (function* () {
            yield* sched("start");
            if (!buggy) yield* mutexLock(k, m);
            const o = shared.obj;
            shared.obj = null;
            kfree(k, o);
            if (!buggy) mutexUnlock(k, m);
          })(),
        );
      }),
  },
  {
    detector: "KASAN double-free",
    planted: "two tasks free a shared object: check, yield, free, clear",
    kind: "double-free",
    executionsMax: 500,
    make: (buggy) =>
      program("double-free", buggy, 2, (k) => {
        const shared: { obj: KObj | null } = { obj: null };
        function* release(): Op<void> {
          yield* sched("start");
          const o = shared.obj;
          if (o === null) return;
          if (!buggy) shared.obj = null; // claim it before anything can interleave
          yield* sched("before free");
          kfree(k, o);
          shared.obj = null;
        }
        k.spawn(
          "init",
          0,
          (function* () {
            shared.obj = yield* kmalloc(k, "obj", 32, GFP_KERNEL, () => ({}));
            k.spawn("put1", 0, release());
            k.spawn("put2", 1, release());
          })(),
        );
      }),
  },
  {
    detector: "kmemleak leak",
    planted: "error path after a failed second allocation forgets the first",
    kind: "leak",
    executionsMax: 300,
    make: (buggy) =>
      program("leak", buggy, 1, (k) => {
        memory(k).policy.faultable.add("req");
        k.spawn(
          "alloc",
          0,
          (function* () {
            const buf = yield* kmalloc(k, "buffer", PAGE_SIZE, GFP_KERNEL, () => ({}));
            const req = yield* kmalloc(k, "req", 64, GFP_KERNEL, () => ({}));
            if (req === null) {
              if (!buggy) kfree(k, buf);
              return;
            }
            kfree(k, req);
            kfree(k, buf);
          })(),
        );
        k.finishHooks.push(() => checkLeaks(k, "selftest", () => true));
      }),
  },
];
