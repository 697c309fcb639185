import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { createZswap } from "./create_zswap.ts";
import { type SwapSlot, ZswapError } from "./zswap_instance.ts";

const corpus = generateCorpus({ sizeBytes: 128 * PAGE_SIZE, seed: 3, mix: DEFAULT_MIX });
/** The corpus's text pages: compressible, never zero-filled. */
const text = [...corpus.kinds.keys()]
  .filter((i) => corpus.kinds[i] === 0)
  .map((i) => corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));

/** memory.stat's lines as a map. */
function stat(lines: string): Map<string, number> {
  return new Map(
    lines
      .trim()
      .split("\n")
      .map((l) => {
        const [k, v] = l.split(" ");
        return [k as string, Number(v)];
      }),
  );
}

function errCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ZswapError, `expected a ZswapError, got ${String(e)}`);
    return e.code;
  }
  assert.fail("expected an error");
}

describe("memcg files: memory.zswap.* and memory.stat", () => {
  it("the root cgroup has none: stats().memcg is null and reads are ENOENT", () => {
    const z = createZswap({ compressor: "lz4" });
    try {
      assert.equal(z.stats().memcg, null);
      assert.equal(
        errCode(() => z.memcgRead("memory.zswap.current")),
        "ENOENT",
      );
    } finally {
      z.close();
    }
  });

  it("memory.stat counts what the cgroup's pages did: zswpout, zswpin, zswap and zswapped bytes", () => {
    const z = createZswap({ compressor: "lz4", memcgMaxBytes: 64 << 20 });
    try {
      const slots = text.slice(0, 20).map((p) => z.swapOutSync(p));
      const s = stat(z.memcgRead("memory.stat"));
      assert.deepEqual([...s.keys()], ["zswap", "zswapped", "zswpin", "zswpout", "zswpwb"]);
      assert.equal(s.get("zswpout"), 20);
      assert.equal(s.get("zswapped"), 20 * PAGE_SIZE);
      assert.equal(s.get("zswap"), z.stats().derived.compressedBytes);
      assert.equal(z.memcgRead("memory.zswap.current"), `${s.get("zswap")}\n`);
      z.swapInSync(slots[0] as SwapSlot);
      const after = stat(z.memcgRead("memory.stat"));
      assert.equal(after.get("zswpin"), 1);
      assert.equal(after.get("zswapped"), 19 * PAGE_SIZE);
      assert.equal(z.stats().memcg?.stat.zswpin, 1);
      assert.equal(z.memcgRead("memory.max"), `${64 << 20}\n`);
      assert.equal(z.memcgRead("memory.zswap.max"), "max\n");
      assert.equal(z.memcgRead("memory.zswap.writeback"), "1\n");
    } finally {
      z.close();
    }
  });

  it("memory.zswap.max: stores over it write back from the cgroup's LRU (zswpwb), the charge stays near it", () => {
    const z = createZswap({ compressor: "lz4", memcgZswapMaxBytes: 8 * PAGE_SIZE });
    try {
      for (const p of text) z.swapOutSync(p);
      const m = z.stats().memcg;
      assert.ok(m !== null);
      assert.equal(m.zswapMax, 8 * PAGE_SIZE);
      assert.ok(m.stat.zswpwb > 0, "the limit made the store path write back");
      // obj_cgroup_may_zswap() is checked before each store: one entry may overshoot it.
      assert.ok(m.zswapCurrent < 8 * PAGE_SIZE + PAGE_SIZE, `current ${m.zswapCurrent}`);
      assert.equal(m.stat.zswpout, text.length);
    } finally {
      z.close();
    }
  });

  it("memory.zswap.writeback=0 at its limit: the page is refused, stays the caller's (EAGAIN), nothing reaches the swap file", () => {
    const z = createZswap({ compressor: "lz4", memcgZswapMaxBytes: 0, memcgZswapWriteback: false });
    try {
      assert.equal(
        errCode(() => z.swapOutSync(text[0] as Uint8Array)),
        "EAGAIN",
      );
      const s = z.stats();
      assert.equal(s.vmstat.pswpout, 0);
      assert.equal(s.memcg?.stat.zswpout, 0);
      assert.equal(s.swapFile.slotsInUse, 0, "the slot was given back");
      z.memcgWrite("memory.zswap.max", "max");
      const slot = z.swapOutSync(text[0] as Uint8Array);
      assert.deepEqual(z.swapInSync(slot), text[0]);
    } finally {
      z.close();
    }
  });

  it("writes take the kernel's syntax: max, sizes with suffixes rounded down to pages, base 0; bad values are EINVAL", () => {
    const z = createZswap({ compressor: "lz4", memcgZswapWriteback: true });
    try {
      const set = (v: string) => {
        z.memcgWrite("memory.zswap.max", v);
        return z.memcgRead("memory.zswap.max").trim();
      };
      assert.equal(set("64M"), String(64 << 20));
      assert.equal(set("1g"), String(1 << 30));
      assert.equal(set("4097"), "4096");
      assert.equal(set("0x2000"), "8192");
      assert.equal(set("020000"), "8192", "a leading 0 is octal, as simple_strtoull(s, 0)");
      assert.equal(set("  max\n"), "max");
      for (const bad of ["", "abc", "-1", "12Q", "1.5M"]) {
        assert.equal(
          errCode(() => z.memcgWrite("memory.zswap.max", bad)),
          "EINVAL",
          bad,
        );
      }
      z.memcgWrite("memory.zswap.writeback", "0");
      assert.equal(z.memcgRead("memory.zswap.writeback"), "0\n");
      assert.equal(
        errCode(() => z.memcgWrite("memory.zswap.writeback", "2")),
        "EINVAL",
      );
      assert.equal(
        errCode(() => z.memcgWrite("memory.stat", "0")),
        "EACCES",
      );
      assert.equal(
        errCode(() => z.memcgWrite("memory.zswap.current", "0")),
        "EACCES",
      );
      assert.equal(
        errCode(() => z.memcgRead("memory.swap.max")),
        "ENOENT",
      );
    } finally {
      z.close();
    }
  });

  it("the options are checked: negative or fractional sizes and non-boolean writeback are EINVAL", () => {
    for (const o of [
      { memcgZswapMaxBytes: -1 },
      { memcgZswapMaxBytes: 1.5 },
      { memcgZswapWriteback: "no" as unknown as boolean },
    ]) {
      assert.equal(
        errCode(() => createZswap({ compressor: "lz4", ...o })),
        "EINVAL",
      );
    }
  });
});
