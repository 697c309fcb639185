/** `--folio-size`: the swap-out unit, a base page or an mTHP / PMD-sized large folio. */
import { PAGE_SIZE } from "../real/zswap_instance.ts";
import { UsageError } from "./usage_error.ts";

/** The sizes the kernel's anon mTHP controls offer on x86-64 that zswap stores (up to PMD). */
export const FOLIO_SIZES: Readonly<Record<string, number>> = {
  "4K": 1,
  "8K": 2,
  "16K": 4,
  "32K": 8,
  "64K": 16,
  "128K": 32,
  "256K": 64,
  "512K": 128,
  "1M": 256,
  "2M": 512,
};

/** "64K" -> 16 pages; a one-line UsageError otherwise. */
export function parseFolioSize(v: string): number {
  const pages = FOLIO_SIZES[v.trim().toUpperCase()];
  if (pages === undefined)
    throw new UsageError(
      `Cannot use --folio-size: expected one of ${Object.keys(FOLIO_SIZES).join(", ")}, got '${v}'`,
    );
  return pages;
}

export function folioSizeText(pages: number): string {
  return pages === 512 ? "2M (PMD)" : `${(pages * PAGE_SIZE) / 1024}K`;
}
