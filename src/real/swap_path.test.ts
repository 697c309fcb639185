// What a swap path may be (swap_path.ts), and what a read may return (slot_check.ts through
// FileStorage): a whole page of what was written, or -EIO.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EIO } from "../kernel/errno.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { FileStorage, SwapFileError } from "./file_storage.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-swap-path-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function page(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = (seed * 131 + i * 7 + 1) & 0xff;
  return p;
}

function refused(path: string, message: RegExp, overwrite = false): void {
  assert.throws(
    () => FileStorage.open({ path, nrSlots: 4, overwrite }),
    (e: unknown) => {
      assert.ok(e instanceof SwapFileError, String(e));
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

describe("swap path", () => {
  it("refuses character devices, FIFOs and directories, even with overwrite", () => {
    const fifo = join(scratch, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const overwrite of [false, true]) {
      refused(
        "/dev/zero",
        /\/dev\/zero as a swap file: it is a character device; expected a regular file/,
        overwrite,
      );
      refused("/dev/full", /it is a character device/, overwrite);
      refused("/dev/null", /it is a character device/, overwrite);
      refused(fifo, /it is a FIFO/, overwrite);
      refused(scratch, /it is a directory/, overwrite);
    }
    assert.ok(fs.statSync(fifo).isFIFO(), "the FIFO is left as it was");
  });

  it("creates a new file, and uses an existing one only with overwrite (emptied first)", () => {
    const path = join(scratch, "existing.swap");
    fs.writeFileSync(path, page(1));
    refused(
      path,
      /already exists \(4096 bytes\) and would be overwritten; pass --force \(library: overwrite: true\)/,
    );
    assert.deepEqual(new Uint8Array(fs.readFileSync(path)), page(1), "left untouched");
    const s = FileStorage.open({ path, nrSlots: 4, overwrite: true });
    const dst = new Uint8Array(PAGE_SIZE).fill(9);
    assert.equal(s.readSync(0, dst), 0);
    assert.deepEqual(dst, new Uint8Array(PAGE_SIZE), "the old contents are gone");
    s.close();
    assert.equal(fs.statSync(path).size, 4 * PAGE_SIZE, "kept on close");
    const fresh = join(scratch, "fresh.swap");
    FileStorage.open({ path: fresh, nrSlots: 2 }).close();
    assert.equal(fs.statSync(fresh).size, 2 * PAGE_SIZE);
  });

  it("takes a block device only with overwrite", (t) => {
    const dev = join(scratch, "blockdev");
    try {
      // Major 240 is reserved for local use: no driver, so nothing can be written by mistake.
      execFileSync("mknod", [dev, "b", "240", "0"], { stdio: "ignore" });
    } catch {
      t.skip("mknod needs root");
      return;
    }
    refused(dev, /it is a block device, whose contents would be overwritten; pass --force/);
    refused(dev, /Cannot open block device .*blockdev: EN(XIO|ODEV)/, true);
  });
});

describe("reads give a whole page of what was written, or -EIO", () => {
  it("a file truncated under us: short reads and vanished pages are -EIO, counted", async () => {
    const s = FileStorage.open({ nrSlots: 8 });
    try {
      for (let i = 0; i < 8; i++) assert.equal(s.writeSync(i, page(i)), 0);
      fs.truncateSync(s.path, 3 * PAGE_SIZE); // someone else truncates the file
      const dst = new Uint8Array(PAGE_SIZE);
      assert.equal(s.readSync(2, dst), 0, "before the cut: intact");
      assert.deepEqual(dst, page(2));
      assert.equal(s.readSync(5, dst), -EIO);
      assert.equal(await s.readAsync(6, dst), -EIO);
      assert.equal(s.check.shortReads, 2);
      assert.deepEqual(s.check.lastProblem, { slot: 6, problem: "short" });
      // A later write past the cut regrows the file: slots in between are holes (zeros).
      assert.equal(s.writeSync(7, page(70)), 0);
      assert.equal(s.readSync(4, dst), -EIO, "a hole where a page was written");
      assert.equal(await s.readAsync(5, dst), -EIO);
      assert.equal(s.check.vanishedReads, 2);
      assert.deepEqual(s.check.lastProblem, { slot: 5, problem: "vanished" });
      assert.equal(s.readSync(7, dst), 0);
      assert.deepEqual(dst, page(70));
    } finally {
      s.close();
    }
  });

  it("a zero page written reads back as zeros; a failed write makes its slot unreadable", () => {
    const s = FileStorage.open({ nrSlots: 2 });
    try {
      const zero = new Uint8Array(PAGE_SIZE);
      assert.equal(s.writeSync(0, zero), 0);
      const dst = new Uint8Array(PAGE_SIZE).fill(1);
      assert.equal(s.readSync(0, dst), 0);
      assert.deepEqual(dst, zero);
      s.check.written(1, page(1), -EIO);
      assert.equal(s.readSync(1, dst), -EIO);
    } finally {
      s.close();
    }
  });

  it("with checksums, a flipped bit is -EIO; without, it goes unnoticed", async () => {
    for (const checksums of [true, false]) {
      const s = FileStorage.open({ nrSlots: 4, checksums });
      try {
        assert.equal(s.writeSync(1, page(1)), 0);
        assert.equal(await s.writeAsync(2, page(2)), 0);
        const fd = fs.openSync(s.path, "r+");
        const byte = new Uint8Array(1);
        fs.readSync(fd, byte, 0, 1, PAGE_SIZE + 1000);
        byte[0] = (byte[0] as number) ^ 0x10; // someone flips one bit of slot 1
        fs.writeSync(fd, byte, 0, 1, PAGE_SIZE + 1000);
        fs.closeSync(fd);
        const dst = new Uint8Array(PAGE_SIZE);
        assert.equal(s.readSync(1, dst), checksums ? -EIO : 0);
        assert.equal(await s.readAsync(1, dst), checksums ? -EIO : 0);
        assert.equal(s.check.checksumErrors, checksums ? 2 : 0);
        assert.equal(await s.readAsync(2, dst), 0, "an untouched slot still reads");
        assert.deepEqual(dst, page(2));
      } finally {
        s.close();
      }
    }
  });
});
