import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { EIO, ENOSPC } from "../kernel/errno.ts";
import { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { storageRead, storageWrite } from "../mm/swap_storage.ts";
import { RealExecutor } from "./executor.ts";
import { type FileIo, FileStorage, nodeFileIo, SwapFileError } from "./file_storage.ts";
import { WouldBlockError } from "./would_block.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function page(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = (seed * 31 + i * 7) & 0xff;
  return p;
}

function osError(code: string, errno: number): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: simulated, write`);
  e.code = code;
  e.errno = -errno;
  return e;
}

describe("FileStorage", () => {
  it("round-trips pages through the sync and async paths", async () => {
    const s = FileStorage.open({ nrSlots: 64 });
    try {
      const dst = new Uint8Array(PAGE_SIZE).fill(0xaa);
      assert.equal(s.readSync(10, dst), 0);
      assert.deepEqual(dst, new Uint8Array(PAGE_SIZE), "unwritten slots read as zeros");
      assert.equal(s.writeSync(0, page(1)), 0);
      assert.equal(s.writeSync(63, page(2)), 0);
      assert.equal(await s.writeAsync(5, page(3)), 0);
      assert.equal(await s.readAsync(0, dst), 0);
      assert.deepEqual(dst, page(1));
      assert.equal(s.readSync(5, dst), 0);
      assert.deepEqual(dst, page(3));
      assert.equal(await s.readAsync(63, dst), 0);
      assert.deepEqual(dst, page(2));
      const writes = Array.from({ length: 64 }, (_, i) => s.writeAsync(i, page(100 + i)));
      assert.deepEqual(await Promise.all(writes), new Array(64).fill(0));
      const bufs = Array.from({ length: 64 }, () => new Uint8Array(PAGE_SIZE));
      assert.deepEqual(
        await Promise.all(bufs.map((b, i) => s.readAsync(i, b))),
        new Array(64).fill(0),
      );
      for (const [i, b] of bufs.entries()) assert.deepEqual(b, page(100 + i));
      assert.equal(fs.statSync(s.path).size, 64 * PAGE_SIZE);
    } finally {
      s.close();
    }
  });

  it("serves io effects under the RealExecutor (async) and runSync refuses them", async () => {
    const k = new Kernel({ nrCpus: 2, mode: "real" });
    const ex = new RealExecutor(k);
    const s = FileStorage.open({ nrSlots: 8 });
    try {
      const dst = new Uint8Array(PAGE_SIZE);
      assert.equal(await ex.run("swapout", 0, storageWrite(s, 7, page(9))), 0);
      assert.equal(await ex.run("swapin", 1, storageRead(s, 7, dst)), 0);
      assert.deepEqual(dst, page(9));
      const again = new Uint8Array(PAGE_SIZE);
      let pending: Promise<unknown> | null = null;
      assert.throws(
        () => ex.runSync("swapin", 0, storageRead(s, 7, again)),
        (e: unknown) => {
          assert.ok(e instanceof WouldBlockError);
          assert.match(e.message, /does asynchronous I\/O \(swap read slot 7\)/);
          pending = e.pending;
          return true;
        },
      );
      assert.equal(await pending, 0);
      assert.deepEqual(again, page(9));
    } finally {
      s.close();
    }
  });

  it("creates a temporary file in the temp dir and removes it on close", () => {
    const s = FileStorage.open({ nrSlots: 4 });
    assert.equal(s.temporary, true);
    assert.equal(dirname(s.path), tmpdir());
    assert.match(basename(s.path), new RegExp(`^zswap-ts-${process.pid}-[0-9a-f]{12}\\.swap$`));
    assert.ok(fs.existsSync(s.path));
    s.close();
    assert.equal(fs.existsSync(s.path), false);
    s.close(); // idempotent
    assert.throws(() => s.readSync(0, new Uint8Array(PAGE_SIZE)), /it is closed/);
  });

  it("keeps a file at a user-given path, with the pages written", () => {
    const path = join(scratch, "user.swap");
    fs.writeFileSync(path, "old contents, to be truncated");
    const s = FileStorage.open({ path, nrSlots: 3, overwrite: true });
    assert.equal(s.temporary, false);
    assert.equal(s.writeSync(2, page(5)), 0);
    s.close();
    const bytes = fs.readFileSync(path);
    assert.equal(bytes.length, 3 * PAGE_SIZE);
    assert.deepEqual(new Uint8Array(bytes.subarray(2 * PAGE_SIZE)), page(5));
    assert.deepEqual(new Uint8Array(bytes.subarray(0, PAGE_SIZE)), new Uint8Array(PAGE_SIZE));
  });

  it("reports an unwritable path with a one-line SwapFileError", () => {
    assert.throws(() => FileStorage.open({ path: "/nonexistent/x", nrSlots: 1 }), {
      name: "SwapFileError",
      message: "Cannot create swap file /nonexistent/x: ENOENT: no such file or directory",
    });
    assert.throws(
      () => FileStorage.open({ path: scratch, nrSlots: 1, overwrite: true }),
      (e: unknown) =>
        e instanceof SwapFileError &&
        e.message ===
          `Cannot use ${scratch} as a swap file: it is a directory; expected a regular file (created if it does not exist) or a block device`,
    );
    assert.throws(() => FileStorage.open({ nrSlots: 0 }), /expected nrSlots to be an integer/);
    assert.throws(() => FileStorage.open({ nrSlots: 1.5 }), SwapFileError);
  });

  it("returns -ENOSPC and -EIO on a full or failing disk instead of throwing", async () => {
    let failWith: NodeJS.ErrnoException | null = null;
    const io: FileIo = {
      ...nodeFileIo,
      writeSync(fd, buf, off, len, pos) {
        if (failWith !== null) throw failWith;
        return nodeFileIo.writeSync(fd, buf, off, len, pos);
      },
      write(fd, buf, off, len, pos, cb) {
        if (failWith !== null) {
          const e = failWith;
          setImmediate(() => cb(e, 0));
          return;
        }
        nodeFileIo.write(fd, buf, off, len, pos, cb);
      },
    };
    const s = FileStorage.open({ nrSlots: 4, io });
    try {
      assert.equal(s.writeSync(0, page(1)), 0);
      failWith = osError("ENOSPC", ENOSPC);
      assert.equal(s.writeSync(1, page(1)), -ENOSPC);
      assert.equal(await s.writeAsync(1, page(1)), -ENOSPC);
      failWith = osError("EIO", EIO);
      assert.equal(s.writeSync(1, page(1)), -EIO);
      assert.equal(await s.writeAsync(1, page(1)), -EIO);
      failWith = null;
      assert.equal(await s.writeAsync(1, page(2)), 0);
    } finally {
      s.close();
    }
  });

  it("completes partial transfers, and turns a zero-byte write into -EIO", async () => {
    let limit = 1000;
    const io: FileIo = {
      ...nodeFileIo,
      writeSync: (fd, buf, off, len, pos) =>
        nodeFileIo.writeSync(fd, buf, off, Math.min(len, limit), pos),
      write: (fd, buf, off, len, pos, cb) =>
        nodeFileIo.write(fd, buf, off, Math.min(len, limit), pos, cb),
    };
    const s = FileStorage.open({ nrSlots: 2, io });
    try {
      const dst = new Uint8Array(PAGE_SIZE);
      assert.equal(s.writeSync(0, page(7)), 0);
      assert.equal(await s.writeAsync(1, page(8)), 0);
      assert.equal(s.readSync(0, dst), 0);
      assert.deepEqual(dst, page(7));
      assert.equal(await s.readAsync(1, dst), 0);
      assert.deepEqual(dst, page(8));
      limit = 0;
      assert.equal(s.writeSync(0, page(1)), -EIO);
      assert.equal(await s.writeAsync(0, page(1)), -EIO);
    } finally {
      s.close();
    }
  });

  it("lets in-flight transfers finish when closed, and checks slots and buffers", async () => {
    const s = FileStorage.open({ nrSlots: 2 });
    const w = s.writeAsync(1, page(4));
    s.close();
    assert.equal(await w, 0);
    assert.throws(() => s.writeSync(0, page(1)), /it is closed/);
    const t = FileStorage.open({ nrSlots: 2 });
    try {
      assert.throws(() => t.writeSync(2, page(1)), /expected 0\.\.1/);
      assert.throws(() => t.readSync(-1, new Uint8Array(PAGE_SIZE)), RangeError);
      assert.throws(() => t.writeSync(0, new Uint8Array(100)), /buffer holds 100 bytes/);
    } finally {
      t.close();
    }
  });
});
