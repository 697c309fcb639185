/**
 * The data-integrity oracle: what every swap slot must contain. A swap-in that returns other
 * bytes is data loss, reported like a KASAN report, never tolerated silently.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { KernelBug } from "../kernel/report.ts";
import { siteLines, siteOf } from "../kernel/site.ts";
import type { Memcg } from "../mm/memcg.ts";
import { swapIn, swapOut, swapRewrite } from "../mm/swap.ts";
import { type SwpEntry, swpKey } from "../mm/swap_entry.ts";

/** Built once per tag: executions ask for the same few pages thousands of times. */
const testPages = new Map<number, Uint8Array>();

/** A deterministic, compressible page whose bytes identify `tag` (a fresh copy). */
export function testPage(tag: number): Uint8Array {
  let p = testPages.get(tag);
  if (p === undefined) {
    p = new Uint8Array(PAGE_SIZE);
    const text = `page ${tag} `;
    for (let i = 0; i < PAGE_SIZE; i++)
      p[i] = i % 64 < 48 ? (text.charCodeAt(i % text.length) as number) : tag & 0xff;
    testPages.set(tag, p);
  }
  return p.slice();
}

export class DataOracle {
  private readonly expected = new Map<string, { swp: SwpEntry; data: Uint8Array }>();

  record(swp: SwpEntry, data: Uint8Array): void {
    this.expected.set(swpKey(swp), { swp, data: data.slice() });
  }

  forget(swp: SwpEntry): void {
    this.expected.delete(swpKey(swp));
  }

  get size(): number {
    return this.expected.size;
  }

  /** Swaps `data` out and records what the slot must hold; returns the slot or null. */
  *swapOut(k: Kernel, data: Uint8Array, memcg: Memcg | null = null): Op<SwpEntry | null> {
    const r = yield* swapOut(k, 0, data, memcg);
    if (typeof r === "number") return null;
    this.record(r, data);
    return r;
  }

  /** Writes new content to an existing slot and records it. */
  *rewrite(k: Kernel, swp: SwpEntry, data: Uint8Array): Op<void> {
    const r = yield* swapRewrite(k, swp, data, null);
    if (r === 0) this.record(swp, data);
  }

  /** Swaps a slot in and compares it with what it must hold. */
  *swapInAndCheck(k: Kernel, swp: SwpEntry): Op<void> {
    const want = this.expected.get(swpKey(swp));
    const got = yield* swapIn(k, swp, null);
    this.forget(swp);
    if (want === undefined) return;
    if (typeof got === "number") throw lossReport(k, swp, `swap-in failed with ${got}`);
    const diff = firstDiff(want.data, got);
    if (diff >= 0)
      throw lossReport(
        k,
        swp,
        `byte ${diff} is 0x${(got[diff] ?? 0).toString(16)}, expected 0x${(want.data[diff] ?? 0).toString(16)}`,
      );
  }

  /** Swaps every recorded slot in and checks it. */
  *verify(k: Kernel): Op<void> {
    for (const { swp } of [...this.expected.values()]) yield* this.swapInAndCheck(k, swp);
  }
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  if (n !== b.length) return Math.min(n, b.length);
  // Equal pages are the rule: a native comparison first, the byte loop only to name the byte.
  if (Buffer.from(a.buffer, a.byteOffset, n).equals(Buffer.from(b.buffer, b.byteOffset, n)))
    return -1;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function lossReport(k: Kernel, swp: SwpEntry, what: string): KernelBug {
  return new KernelBug(
    "data-loss",
    `BUG: data corruption: swap slot ${swp.type}:${swp.offset} lost its content`,
    [what, ...siteLines("Detected", siteOf(k))],
  );
}
