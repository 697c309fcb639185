/**
 * For the tests of multi-core mode: what two runs are compared by (slots, counters, pool
 * sizes, the zsmalloc class table).
 */
import type { SwapSlot, ZswapInstance } from "./zswap_instance.ts";

/** Everything a run can be compared by: slots, counters, pool sizes, the zsmalloc classes. */
export function snapshot(z: ZswapInstance, slots: readonly SwapSlot[]) {
  const s = z.stats();
  return {
    slots: slots.map((x) => x.offset),
    debugfs: s.debugfs,
    vmstat: s.vmstat,
    derived: s.derived,
    classes: z.zsmallocClasses(),
  };
}
