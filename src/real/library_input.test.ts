// The library's boundary: options are checked (unknown keys and wrong types are EINVAL naming
// the key), the swap file is a regular file or a block device, and a swap file that lost or
// changed a page makes swapIn fail with EIO, never return other bytes.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { createZswap } from "./create_zswap.ts";
import { type CreateZswapOptions, type SwapSlot, ZswapError } from "./zswap_instance.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-library-input-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const corpus = generateCorpus({
  sizeBytes: 64 * PAGE_SIZE,
  seed: 5,
  mix: { ...DEFAULT_MIX, zero: 0 },
});
const pages = Array.from({ length: 64 }, (_, i) =>
  corpus.pages.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);

function einval(options: unknown, message: RegExp): void {
  assert.throws(
    () => createZswap(options as CreateZswapOptions),
    (e: unknown) => {
      assert.ok(e instanceof ZswapError, String(e));
      assert.equal(e.code, "EINVAL");
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

describe("createZswap: options", () => {
  it("refuses unknown keys, naming them (and the likely intended one)", () => {
    einval(
      { max_pool_precent: 10 },
      /unknown option 'max_pool_precent' \(did you mean 'max_pool_percent'\?\); known: compressor, profile/,
    );
    einval({ swap_file: "/tmp/x" }, /unknown option 'swap_file' \(did you mean 'swapFile'\?\)/);
    einval({ zpool: "zbud" }, /unknown option 'zpool'; known: /);
    einval([], /expected an options object, got an array/);
  });

  it("refuses wrongly typed values, naming the key", () => {
    einval({ compressor: 4 }, /Cannot set compressor: expected a string, got 4/);
    einval({ profile: 6.12 }, /Cannot set profile: expected a string, got 6\.12/);
    einval({ enabled: "yes" }, /Cannot set enabled: expected true or false, got 'yes'/);
    einval({ max_pool_percent: "20" }, /Cannot set max_pool_percent: expected a number, got '20'/);
    einval(
      { accept_threshold_percent: null },
      /Cannot set accept_threshold_percent: got null; leave the key out/,
    );
    einval({ shrinker_enabled: 1 }, /Cannot set shrinker_enabled: expected true or false, got 1/);
    einval({ totalRamBytes: "1G" }, /expected totalRamBytes to be an integer/);
    einval({ cpus: "2" }, /expected cpus to be an integer 1\.\.64, got '2'/);
    einval({ swapFile: 3 }, /expected swapFile to be a path, got 3/);
    einval({ overwrite: "true" }, /Cannot set overwrite: expected true or false/);
    einval({ checksums: 1 }, /Cannot set checksums: expected true or false, got 1/);
    einval({ swapSizeBytes: "4096" }, /expected swapSizeBytes to be a positive multiple of 4096/);
    einval({ instrumented: "no" }, /Cannot set instrumented: expected true or false/);
    einval(
      { swapFileIo: { readSync() {} } },
      /expected swapFileIo to have functions readSync, writeSync, read, write, got a Object without writeSync, read, write/,
    );
  });
});

describe("createZswap: the swap file", () => {
  it("refuses /dev/zero, /dev/full and a directory with EINVAL, even with overwrite", () => {
    for (const overwrite of [false, true]) {
      einval(
        { swapFile: "/dev/zero", overwrite },
        /Cannot use \/dev\/zero as a swap file: it is a character device/,
      );
      einval({ swapFile: "/dev/full", overwrite }, /it is a character device/);
      einval({ swapFile: scratch, overwrite }, /it is a directory/);
    }
  });

  it("uses an existing file only with overwrite: true", async () => {
    const path = join(scratch, "existing.swap");
    fs.writeFileSync(path, "precious");
    einval(
      { swapFile: path },
      /already exists \(8 bytes\) and would be overwritten; pass --force \(library: overwrite: true\)/,
    );
    assert.equal(fs.readFileSync(path, "utf8"), "precious");
    const z = createZswap({
      swapFile: path,
      overwrite: true,
      cpus: 1,
      swapSizeBytes: 16 * PAGE_SIZE,
    });
    assert.equal(fs.statSync(path).size, 16 * PAGE_SIZE);
    await z.close();
    assert.ok(fs.existsSync(path), "a given swap file is kept");
  });

  /** Swaps pages out to the swap file (zswap disabled), lets `damage` at the file, swaps in. */
  async function damaged(checksums: boolean, damage: (path: string) => void) {
    const z = createZswap({ cpus: 1, enabled: false, checksums, swapSizeBytes: 64 * PAGE_SIZE });
    try {
      const slots: SwapSlot[] = pages.slice(0, 32).map((p) => z.swapOutSync(p));
      assert.equal(z.stats().vmstat.pswpout, 32, "every page went to the swap file");
      damage(z.swapFilePath);
      const errors: ZswapError[] = [];
      let wrong = 0;
      for (const [i, slot] of slots.entries()) {
        try {
          if (Buffer.compare(await z.swapIn(slot), pages[i] as Uint8Array) !== 0) wrong++;
        } catch (e) {
          assert.ok(e instanceof ZswapError && e.code === "EIO", String(e));
          errors.push(e);
          z.free(slot);
        }
      }
      return { errors, wrong, stats: z.stats().swapFile };
    } finally {
      await z.close();
    }
  }

  it("a swap file truncated by someone else: EIO for every lost page, no zeros", async () => {
    const r = await damaged(false, (path) => fs.truncateSync(path, 10 * PAGE_SIZE));
    assert.equal(r.wrong, 0, "no page came back different");
    assert.equal(r.errors.length, 22, "slots 10..31 are past the end");
    assert.equal(r.stats.shortReads, 22);
    assert.equal(r.stats.readErrors, 22);
    assert.match(
      r.errors[0]?.message ?? "",
      /Cannot swap in slot 10: reading swap file .* failed \(EIO: input\/output error: slot 10 lies past the end of the file: it was truncated by someone else\)/,
    );
  });

  it("truncated and regrown (a hole where pages were): EIO, not zeros", async () => {
    const r = await damaged(false, (path) => {
      fs.truncateSync(path, 0);
      fs.truncateSync(path, 64 * PAGE_SIZE);
    });
    assert.equal(r.wrong, 0);
    assert.equal(r.errors.length, 32);
    assert.equal(r.stats.vanishedReads, 32);
    assert.match(r.errors[0]?.message ?? "", /reads back as zeros where a page was written/);
  });

  it("a flipped bit: EIO with checksums; without, the page comes back different", async () => {
    const flip = (path: string) => {
      const fd = fs.openSync(path, "r+");
      const b = new Uint8Array(1);
      fs.readSync(fd, b, 0, 1, 5 * PAGE_SIZE + 77);
      b[0] = (b[0] as number) ^ 1;
      fs.writeSync(fd, b, 0, 1, 5 * PAGE_SIZE + 77);
      fs.closeSync(fd);
    };
    const guarded = await damaged(true, flip);
    assert.equal(guarded.wrong, 0);
    assert.equal(guarded.errors.length, 1);
    assert.equal(guarded.stats.checksumErrors, 1);
    assert.match(
      guarded.errors[0]?.message ?? "",
      /slot 5 does not match the checksum of the page written there/,
    );
    const unguarded = await damaged(false, flip);
    assert.equal(unguarded.errors.length, 0);
    assert.equal(
      unguarded.wrong,
      1,
      "without checksums the flip goes through: what --verify-swap is for",
    );
  });
});
