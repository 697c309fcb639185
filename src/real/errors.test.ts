/**
 * The library's errors carry what callers decide on as fields (code, errno, cause), and the
 * errno mapping of swap-out and swap-in results (errors.ts) says what each errno means.
 */
import assert from "node:assert/strict";
import { constants } from "node:os";
import { describe, it } from "node:test";
import { type Op, sched } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { KernelBug } from "../kernel/report.ts";
import {
  asZswapError,
  SwapFileIoError,
  swapInError,
  swapOutError,
  wouldBlockError,
  ZswapError,
  ZswapWouldBlockError,
} from "./errors.ts";
import { RealExecutor } from "./executor.ts";
import { describeFsError } from "./swap_path.ts";
import { WouldBlockError } from "./would_block.ts";

const { EIO, ENOENT, ENOSPC, EFBIG } = constants.errno;

const out = { path: "/tmp/x.swap", nrPages: 1, nrSlots: 8, nrFree: 0 };

describe("ZswapError", () => {
  it("has the errno of its code, none for EBUG, and keeps an explicit one", () => {
    assert.equal(new ZswapError("ENOSPC", "m").errno, ENOSPC);
    assert.equal(new ZswapError("EBUG", "m").errno, null);
    assert.equal(new ZswapError("EIO", "m", { errno: EFBIG }).errno, EFBIG);
  });

  it("asZswapError makes a kernel bug report EBUG with the report as cause", () => {
    const bug = new KernelBug("use-after-free", "BUG: KASAN: slab-use-after-free in x", []);
    const e = asZswapError(bug, "swap in");
    assert.ok(e instanceof ZswapError);
    assert.equal(e.code, "EBUG");
    assert.equal(e.cause, bug);
    const other = new RangeError("r");
    assert.equal(asZswapError(other, "swap in"), other);
  });
});

describe("swapOutError", () => {
  it("names a failed write by its errno, and says when only injected faults failed", () => {
    const e = swapOutError(-EFBIG, { ...out, writeFailed: true, injected: false });
    assert.equal(e.code, "EFBIG");
    assert.equal(e.errno, EFBIG);
    assert.match(e.message, /writing swap file \/tmp\/x\.swap failed \(EFBIG: file too large\)/);
    assert.ok(e.cause instanceof SwapFileIoError);
    assert.equal(e.cause.op, "write");
    assert.equal(e.cause.errno, EFBIG);
    const injected = swapOutError(-EIO, { ...out, writeFailed: true, injected: true });
    assert.match(injected.message, /an injected fault \(swap_write\)/);
  });

  it("tells a full swap file (ENOSPC without a failed write) from a full disk", () => {
    const e = swapOutError(-ENOSPC, { ...out, nrPages: 4, writeFailed: false, injected: false });
    assert.equal(e.code, "ENOSPC");
    assert.match(e.message, /no 4 free contiguous slots in swap file/);
    assert.equal(e.cause, undefined, "no swap file I/O failed");
    const disk = swapOutError(-ENOSPC, { ...out, writeFailed: true, injected: false });
    assert.ok(disk.cause instanceof SwapFileIoError, "a full disk: the write failed");
  });
});

describe("swapInError", () => {
  const f = { slot: 5, path: "/tmp/x.swap", readProblem: null, decompressFail: null };
  it("is EIO for every errno, saying which of the three causes it was", () => {
    const lost = swapInError(-ENOENT, f);
    assert.equal(lost.code, "EIO");
    assert.match(lost.message, /slot 5: the slot is not in use/);
    const decomp = swapInError(-EIO, { ...f, decompressFail: 3 });
    assert.match(decomp.message, /decompression failed \(decompress_fail 3\)/);
    const read = swapInError(-EIO, { ...f, readProblem: "a short read", decompressFail: 3 });
    assert.match(read.message, /reading swap file \/tmp\/x\.swap failed \(EIO: .*: a short read\)/);
    assert.ok(read.cause instanceof SwapFileIoError && read.cause.op === "read");
    assert.equal(decomp.cause, undefined);
  });
});

describe("wouldBlockError", () => {
  it("is built from the executor's fields, with the WouldBlockError as its cause", async () => {
    const k = new Kernel({ nrCpus: 1, mode: "real" });
    const ex = new RealExecutor(k);
    function* io(): Op<number> {
      yield* sched("before");
      return (yield {
        t: "io",
        label: "swap read slot 7",
        sync: () => 1,
        async: async () => 1,
      }) as number;
    }
    let blocked: unknown;
    try {
      ex.runSync("swapin", 0, io());
    } catch (e) {
      blocked = e;
    }
    assert.ok(blocked instanceof WouldBlockError);
    assert.equal(blocked.operation, "swapin");
    assert.equal(blocked.cpu, 0);
    assert.equal(blocked.effect, "io");
    assert.equal(blocked.label, "swap read slot 7");
    const e = wouldBlockError("swapInSync", blocked, blocked.pending);
    assert.ok(e instanceof ZswapWouldBlockError);
    assert.equal(e.code, "EWOULDBLOCK");
    assert.equal(e.cause, blocked);
    assert.match(
      e.message,
      /^swapInSync: operation 'swapin' on CPU 0 does asynchronous I\/O \(swap read slot 7\); it goes on/,
    );
    assert.equal(await e.pending, 1);
  });
});

describe("describeFsError", () => {
  it("describes a Node fs error by its errno, not by its message", () => {
    const e: NodeJS.ErrnoException = new Error("whatever the message says, open '/a/b'");
    e.errno = -ENOENT;
    e.code = "ENOENT";
    assert.equal(describeFsError(e), "ENOENT: no such file or directory");
    assert.equal(
      describeFsError(new Error("it is no longer a block device")),
      "it is no longer a block device",
    );
  });
});
