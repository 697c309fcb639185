/**
 * A zsmalloc misuse inside a simulated task, as the kernel would report it.
 *
 * zsmalloc's functions take no Kernel: a stale handle, a destroyed pool, a forged handle or a
 * short buffer throws a ZsError (src/zsmalloc/errors.ts), which in the library is the caller's
 * programming error. In the simulator it is a bug of the design or engine under test, so the
 * executor turns it into a report instead of letting it end the whole check: a freed handle or
 * pool is freed memory that the kernel would read (KASAN's slab-use-after-free, named after
 * the zsmalloc function in the kernel's spelling), anything else a BUG() with the message.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { KernelBug } from "../kernel/report.ts";
import { siteLines, siteOf, whereOf } from "../kernel/site.ts";
import type { ZsError } from "../zsmalloc/errors.ts";

/** zsObjReadBegin -> zs_obj_read_begin: the message names the model's function. */
function kernelName(op: string): string {
  return op.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function zsmallocBug(k: Kernel, e: ZsError): KernelBug {
  const site = siteOf(k);
  const op = /^(zs\w+):/.exec(e.message)?.[1];
  const where = op === undefined ? whereOf(site) : kernelName(op);
  const details = [e.message, "", ...siteLines("Accessed", site)];
  if (e.misuse === "use-after-free")
    return new KernelBug("use-after-free", `BUG: KASAN: slab-use-after-free in ${where}`, details);
  return new KernelBug("assertion", `kernel BUG in ${where}: zsmalloc misuse`, details);
}
