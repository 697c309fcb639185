// Capturing a live process (capture_pid.ts) and an ELF core (capture_core.ts).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { PAGE_SIZE } from "../kernel/page.ts";
import { CaptureError, SAMPLE_RUN_PAGES, sampleRuns, writeCapture } from "./capture.ts";
import { captureCore, parseElfCore } from "./capture_core.ts";
import { capturePid, isCandidateMapping, parseMaps } from "./capture_pid.ts";
import { readCorpus, readManifest } from "./corpus_file.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-capture-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The child's pattern: every 8 bytes of page k of its buffer hold 0xc0ffee00 + (k & 0xff). */
const PATTERN = 0xc0ffee00;
const PATTERN_PAGES = 2048; // 8 MiB
const ZERO_READ_PAGES = 1024; // 4 MiB only read: the shared zero page

/**
 * A node child that fills a Buffer with the pattern, reads (never writes) another one, so its
 * pages map the shared zero page, and waits.
 */
function spawnPatternChild(): Promise<ChildProcess> {
  const script = `
    const b = Buffer.allocUnsafeSlow(${PATTERN_PAGES * PAGE_SIZE});
    for (let i = 0; i < b.length; i += 8) b.writeUInt32LE((${PATTERN} + ((i >> 12) & 0xff)) >>> 0, i);
    const z = Buffer.alloc(${ZERO_READ_PAGES * PAGE_SIZE});
    let s = 0;
    for (let i = 0; i < z.length; i += 4096) s += z[i];
    globalThis.keep = [b, z, s];
    process.stdout.write("ready\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout?.once("data", () => resolve(child));
  });
}

/** Pages whose first word carries the pattern. */
function patternPages(pages: Uint8Array): number {
  const words = new Uint32Array(pages.buffer, pages.byteOffset, pages.length / 4);
  let n = 0;
  for (let w = 0; w < words.length; w += PAGE_SIZE / 4) {
    if (((words[w] as number) & 0xffffff00) >>> 0 === PATTERN) n++;
  }
  return n;
}

describe("capturePid", () => {
  let child: ChildProcess;
  before(async () => {
    child = await spawnPatternChild();
  });
  after(() => {
    child.kill();
  });

  it("captures the child's written pages and drops the shared zero page", () => {
    const c = capturePid(child.pid as number);
    // The buffer is not page-aligned: its first and last pages may start with other data.
    const hits = patternPages(c.pages);
    assert.ok(hits >= PATTERN_PAGES - 2 && hits <= PATTERN_PAGES, `pattern pages: ${hits}`);
    assert.equal(c.info.comm, "node");
    assert.ok(c.info.pages.zeroPageDropped >= ZERO_READ_PAGES - 1, JSON.stringify(c.info.pages));
    const p = c.info.pages;
    assert.equal(p.eligible, (p.resident ?? 0) + (p.swapped ?? 0));
    assert.equal(p.captured, p.eligible - p.sampledOut - p.zeroPageDropped - p.unreadable);
    assert.equal(p.captured * PAGE_SIZE, c.pages.length);
    const sum = c.info.mappings.reduce((s, m) => s + m.capturedPages, 0);
    assert.equal(sum, p.captured);
  });

  it("writes a corpus that readCorpus reads, with a manifest", () => {
    const path = join(scratch, "pid.pages");
    const m = writeCapture(path, capturePid(child.pid as number));
    const pages = readCorpus(path);
    const r = readManifest(`${path}.manifest.json`);
    assert.equal(r.sha256, createHash("sha256").update(pages).digest("hex"));
    assert.equal(m.kinds.length, m.pages);
    assert.equal(m.counts.zero + m.counts.same + m.counts.data, m.pages);
    // The pattern pages are neither zero nor same-filled (the word alternates with zero).
    assert.ok(m.counts.data >= PATTERN_PAGES - 2);
  });

  it("samples evenly spaced runs with maxSizeBytes", () => {
    const c = capturePid(child.pid as number, { maxSizeBytes: 1024 * PAGE_SIZE });
    const p = c.info.pages;
    assert.ok(p.captured <= 1024 && p.sampledOut > 0, JSON.stringify(p));
    // The pattern is about a third of the eligible pages: sampling keeps its share.
    const share = patternPages(c.pages) / (p.eligible - p.sampledOut);
    const whole = PATTERN_PAGES / p.eligible;
    assert.ok(Math.abs(share - whole) < 0.1, `share ${share} vs ${whole}`);
  });

  it("says so when the process does not exist", () => {
    assert.throws(() => capturePid(2 ** 31 - 1), /Cannot capture pid 2147483647: no such process/);
    assert.throws(() => capturePid(0), /expected a positive integer/);
  });

  it("says what is needed when permission is denied", async (t) => {
    if (process.getuid?.() !== 0) {
      if (fs.statSync("/proc/1").uid === process.getuid?.()) return t.skip("pid 1 is ours");
      assert.throws(() => capturePid(1), /permission denied.*CAP_SYS_PTRACE.*ptrace_scope/);
      return;
    }
    // As root: the CLI as user nobody, capturing pid 1 (root's).
    const bin = fileURLToPath(new URL("../../bin/zswap-ts.js", import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [bin, "corpus", "--pid", "1", "--out", "/dev/null"], {
        uid: 65534,
        gid: 65534,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      p.stderr?.on("data", (d) => {
        stderr += d;
      });
      p.on("error", reject);
      p.on("close", (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^zswap-ts: Cannot capture pid 1: permission denied reading \/proc\/1\/maps; run as the process's user or with CAP_SYS_PTRACE.*ptrace_scope.*\n$/,
    );
  });
});

describe("maps", () => {
  it("parses lines and keeps private writable mappings but the kernel's pseudo-mappings", () => {
    const maps = parseMaps(
      [
        "55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]",
        "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ",
        "7f0000001000-7f0000002000 r--p 00000000 08:01 123 /usr/lib/libc.so.6",
        "7f0000002000-7f0000003000 rw-s 00000000 00:05 9 /dev/zero (deleted)",
        "7f0000003000-7f0000004000 rw-p 00002000 08:01 123 /usr/lib/libc.so.6",
        "7ffd0000a000-7ffd0000c000 rw-p 00000000 00:00 0                          [vvar]",
      ].join("\n"),
    );
    assert.deepEqual(maps[0], {
      start: 0x55d0c0a00000,
      end: 0x55d0c0a21000,
      perms: "rw-p",
      path: "[heap]",
    });
    assert.deepEqual(maps.map(isCandidateMapping), [true, true, false, false, true, false]);
    assert.throws(() => parseMaps("garbage"), CaptureError);
  });
});

describe("sampleRuns", () => {
  it("takes everything that fits, else at most max pages in sorted, distinct runs", () => {
    assert.deepEqual(sampleRuns(5, 10), [0, 1, 2, 3, 4]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (n, m) => {
        const s = sampleRuns(n, m);
        assert.ok(s.length <= Math.min(n, m));
        for (let i = 1; i < s.length; i++) assert.ok((s[i] as number) > (s[i - 1] as number));
        assert.ok(s.every((i) => i >= 0 && i < n));
        // Close to max: at most one page short per run.
        if (m < n) assert.ok(s.length >= m - Math.ceil(m / SAMPLE_RUN_PAGES), `${n} ${m}`);
      }),
    );
  });

  it("spreads the runs over the whole range", () => {
    const s = sampleRuns(100_000, 1600);
    assert.ok((s[0] as number) < 100 && (s.at(-1) as number) > 99_000);
  });
});

// ---------------------------------------------------------------------------------------------
// ELF cores, built here
// ---------------------------------------------------------------------------------------------

interface Segment {
  readonly type: number;
  readonly flags: number;
  readonly vaddr: number;
  readonly data: Uint8Array;
  readonly memsz?: number;
}

/** An ELF64 little-endian core: header, program headers, then each segment's data. */
function buildCore(segments: readonly Segment[], etype = 4): Buffer {
  const phoff = 64;
  let offset = phoff + 56 * segments.length;
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  header.writeUInt16LE(etype, 16);
  header.writeUInt16LE(62, 18); // EM_X86_64
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(phoff), 32);
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  header.writeUInt16LE(segments.length, 56);
  const phdrs = Buffer.alloc(56 * segments.length);
  segments.forEach((s, i) => {
    const at = 56 * i;
    phdrs.writeUInt32LE(s.type, at);
    phdrs.writeUInt32LE(s.flags, at + 4);
    phdrs.writeBigUInt64LE(BigInt(offset), at + 8);
    phdrs.writeBigUInt64LE(BigInt(s.vaddr), at + 16);
    phdrs.writeBigUInt64LE(BigInt(s.data.length), at + 32);
    phdrs.writeBigUInt64LE(BigInt(s.memsz ?? s.data.length), at + 40);
    offset += s.data.length;
  });
  return Buffer.concat([header, phdrs, ...segments.map((s) => s.data)]);
}

function prpsinfoNote(comm: string, args: string, pid: number): Uint8Array {
  const desc = Buffer.alloc(136);
  desc.writeUInt32LE(pid, 24);
  desc.write(comm, 40);
  desc.write(args, 56);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(5, 0); // "CORE\0"
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(3, 8); // NT_PRPSINFO
  return Buffer.concat([head, Buffer.from("CORE\0\0\0\0"), desc]);
}

function filledPages(values: readonly number[]): Uint8Array {
  const b = Buffer.alloc(values.length * PAGE_SIZE);
  values.forEach((v, k) => {
    for (let i = 0; i < PAGE_SIZE; i += 8) b.writeUInt32LE(v, k * PAGE_SIZE + i);
  });
  return b;
}

describe("captureCore", () => {
  const PF_R = 4;
  const PF_W = 2;
  const PF_X = 1;
  const core = buildCore([
    { type: 4, flags: 0, vaddr: 0, data: prpsinfoNote("myapp", "myapp --serve", 4242) },
    { type: 1, flags: PF_R | PF_X, vaddr: 0x400000, data: filledPages([PATTERN + 1]) },
    {
      type: 1,
      flags: PF_R | PF_W,
      vaddr: 0x600000,
      data: filledPages([PATTERN + 2, 0, PATTERN + 3]),
    },
    { type: 1, flags: PF_R | PF_W, vaddr: 0x700000, data: new Uint8Array(0), memsz: 0x10000 },
  ]);
  const path = join(scratch, "core.test");
  fs.writeFileSync(path, core);

  it("parses the program headers and NT_PRPSINFO", () => {
    const c = parseElfCore(path);
    assert.deepEqual(
      c.phdrs.map((p) => [p.type, p.flags, p.vaddr, p.filesz, p.memsz]),
      [
        [4, 0, 0, 156, 156],
        [1, 5, 0x400000, 4096, 4096],
        [1, 6, 0x600000, 3 * 4096, 3 * 4096],
        [1, 6, 0x700000, 0, 0x10000],
      ],
    );
    assert.equal(c.comm, "myapp");
    assert.equal(c.cmdline, "myapp --serve");
    assert.equal(c.pid, 4242);
  });

  it("captures the writable segments' pages, all-zero pages dropped", () => {
    const c = captureCore(path);
    assert.equal(c.pages.length, 2 * PAGE_SIZE);
    const words = new Uint32Array(c.pages.buffer, c.pages.byteOffset, c.pages.length / 4);
    assert.deepEqual([words[0], words[PAGE_SIZE / 4]], [PATTERN + 2, PATTERN + 3]);
    assert.deepEqual(c.info.pages, {
      eligible: 3,
      resident: null,
      swapped: null,
      sampledOut: 0,
      zeroPageDropped: 1,
      unreadable: 0,
      captured: 2,
    });
    assert.deepEqual(
      c.info.mappings.map((m) => [m.start, m.perms, m.eligiblePages, m.capturedPages]),
      [["0x600000", "rw-", 3, 2]],
    );
    assert.equal(c.info.comm, "myapp");
  });

  it("rejects what is not a 64-bit little-endian ELF core, in one line", () => {
    const bad = (name: string, bytes: Uint8Array, message: RegExp) => {
      const p = join(scratch, name);
      fs.writeFileSync(p, bytes);
      assert.throws(
        () => captureCore(p),
        (e: unknown) =>
          e instanceof CaptureError && message.test(e.message) && !/\n/.test(e.message),
      );
    };
    bad("text", Buffer.from("hello, world\n".repeat(10)), /not an ELF file/);
    bad("exec", buildCore([], 2), /an ELF file but not a core dump \(e_type EXEC/);
    const elf32 = buildCore([]);
    elf32[4] = 1;
    bad("elf32", elf32, /only 64-bit little-endian cores.*got 32-bit/);
    bad("truncated", core.subarray(0, 200), /truncated core/);
    bad("short", Buffer.from([0x7f, 0x45]), /not an ELF file/);
    bad("header", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]), /truncated core/);
    assert.throws(() => captureCore(join(scratch, "missing")), /Cannot capture .*missing: ENOENT/);
    assert.throws(() => captureCore(scratch), /it is a directory/);
    assert.throws(() => captureCore(process.execPath), /not a core dump/);
  });
});

describe("a real core against the live process", () => {
  it("gcore's core of a process holds the same pages as capturing it live", async (t) => {
    if (spawnSync("gcore", ["--version"]).error !== undefined) return t.skip("no gcore here");
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      const pid = child.pid as number;
      // Let it get past its start-up (ld.so, locale) and into nanosleep(): then it stays put.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const prefix = join(scratch, "gcore");
      const r = spawnSync("gcore", ["-o", prefix, String(pid)], { timeout: 60_000 });
      if (r.status !== 0) return t.skip(`gcore failed: ${String(r.stderr).trim()}`);
      const live = capturePid(pid);
      const core = captureCore(`${prefix}.${pid}`);
      assert.equal(core.info.comm, "sleep");
      assert.equal(core.info.pid, pid);
      assert.ok(live.pages.length > 0);
      // sleep does not run between the two reads: the same mappings and pages, in the same
      // order. But gdb's attach writes to the process (seen: one page of an anonymous mapping
      // next to libc changed), so up to two pages may differ.
      const nonEmpty = (c: typeof live) =>
        c.info.mappings.filter((m) => m.capturedPages > 0).map((m) => [m.start, m.capturedPages]);
      assert.deepEqual(nonEmpty(core), nonEmpty(live));
      assert.equal(core.pages.length, live.pages.length);
      let differ = 0;
      for (let at = 0; at < live.pages.length; at += PAGE_SIZE) {
        const a = core.pages.subarray(at, at + PAGE_SIZE);
        if (Buffer.compare(a, live.pages.subarray(at, at + PAGE_SIZE)) !== 0) differ++;
      }
      assert.ok(differ <= 2, `${differ} of ${live.pages.length / PAGE_SIZE} pages differ`);
    } finally {
      child.kill();
    }
  });
});
